import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import SQLKit
import Vapor

/// The demo register (once, when it is empty): in each village the steward serves, its four QR-coded facilities as
/// components, with the cases already reported from their codes linked so their history and repair times show; and in
/// the steward's first village six fire-equipment boxes and four street lights around the centre, one box damaged.
/// Synthetic.
enum DemoAssets {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let store = AssetStore(db: app.db)
        guard try await store.count(.all, AssetFilter()) == 0,
              let steward = try await DirectoryStore(db: app.db).org(code: DemoDistrict.stewardCode) else { return false }
        let now = app.clock.now
        let reference = try await app.caseReference.get(app.db)
        let served = try await TeamStore(db: app.db).stewardAreas(at: now).filter { $0.value == steward.id }.keys
        let villages = served.compactMap { reference.areas[$0] }.filter { $0.kind == .village }.sorted { $0.code < $1.code }
        guard let first = villages.first else { return false }
        var rows: [AssetRow] = []
        var links: [(asset: UUID, place: String)] = []
        for facility in reference.facilities.values.sorted(by: { $0.code < $1.code }) {
            guard let area = reference.areas[facility.areaID], villages.contains(where: { area.path.contains($0.id) }) else { continue }
            let terms = AssetTerms(code: "A-" + facility.code, name: facility.name, componentCode: facility.componentCode, position: facility.position,
                                   condition: .good, maintainer: steward.code, installedOn: LocalDate(year: 2021, month: 6, day: 1), placeCode: facility.code)
            let row = store.make(terms, area: area, by: nil, at: now)
            rows.append(row)
            links.append((row.id, facility.code))
        }
        // Fire-equipment boxes and street lights in the first village's grids (a grid's centre, then metres around it).
        let grids = try await AreaStore(db: app.db).children(of: first.id, includeShapes: false).filter { $0.kind == .grid && $0.centre != nil }.sorted { $0.code < $1.code }
        for i in 0..<6 where !grids.isEmpty {
            let grid = grids[i % grids.count]
            let terms = AssetTerms(code: "\(first.code)-XF\(String(format: "%02d", i + 1))", name: "消防器材箱 \(i + 1) 号", componentCode: "01013",
                                   position: grid.centre!.offset(eastMetres: Double(i * 9 - 20), northMetres: Double(12 - i * 5)),
                                   condition: i == 3 ? .damaged : .good, ownerDepartment: "LH-XFDD", maintainer: steward.code,
                                   installedOn: LocalDate(year: 2022, month: 3, day: 15))
            rows.append(store.make(terms, area: grid, by: nil, at: now))
        }
        for i in 0..<4 where !grids.isEmpty {
            let grid = grids[(i + 1) % grids.count]
            let terms = AssetTerms(code: "\(first.code)-LD\(String(format: "%02d", i + 1))", name: "路灯 \(i + 1) 号", componentCode: "01037",
                                   position: grid.centre!.offset(eastMetres: Double(25 - i * 8), northMetres: Double(i * 7 - 15)),
                                   condition: i == 2 ? .worn : .good, maintainer: steward.code, installedOn: LocalDate(year: 2019, month: 11, day: 20))
            rows.append(store.make(terms, area: grid, by: nil, at: now))
        }
        let (saving, linking) = (rows, links)
        try await app.db.writeTransaction { tx in
            try await AssetStore(db: tx).save(saving)
            for link in linking {
                for row in try await (tx as! any SQLDatabase).select().column("id").from("cases").where("place_code", .equal, link.place).all() {
                    try await AssetStore(db: tx).link(case: try row.decode(column: "id", as: UUID.self), to: link.asset, by: nil, at: now)
                }
            }
        }
        return true
    }
}

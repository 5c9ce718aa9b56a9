import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import SQLKit
import Vapor

/// The demo register (once, when it is empty): in each village the steward serves, its four QR-coded facilities as
/// components, with the cases already reported from their codes linked so their history and repair times show; and in
/// the steward's first village six fire-equipment boxes and four street lights around the centre, one box damaged; and
/// the monthly fire-equipment checklist.
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
        // The demo district put the villages' fire equipment (the micro fire stations' boxes) under the steward's
        // facility upkeep: class 01013 joins matter M-FAC-01, so its cases route to the steward where that is entrusted.
        if let admin = try await DirectoryStore(db: app.db).user(username: "district-admin"), var fire = reference.taxonomy.eventCategory("01013"),
           fire.matter == nil, reference.taxonomy.matter("M-FAC-01") != nil {
            fire.matter = "M-FAC-01"
            _ = try await TaxonomyStore(db: app.db).save(fire, editedBy: admin.id, note: "演示：村内微型消防站器材由城市管家维护", at: now)
            app.caseReference.invalidate()
        }
        // The monthly fire-equipment check (消防器材月检) as a checklist for class 01013.
        if try await InspectionStore(db: app.db).checklists(component: "01013").isEmpty {
            _ = try await InspectionStore(db: app.db).create(ChecklistTerms(name: "消防器材月检", component: "01013", items: [
                ChecklistItem(label: "灭火器压力表指针在绿区", kind: .passFail),
                ChecklistItem(label: "灭火器压力", kind: .number, min: 1.0, max: 1.4, unit: "MPa"),
                ChecklistItem(label: "箱门、标识和封签完好", kind: .passFail),
                ChecklistItem(label: "备注", kind: .text),
            ]), by: nil, at: now)
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

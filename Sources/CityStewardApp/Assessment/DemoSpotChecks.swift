import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's spot inspections this year (once): every second month from March, the district office draws four grids
/// of the district and 民治街道办事处 four of its street, alternating street scene, toilets and facilities; the draws
/// are the real draw from a recorded seed. Items fail more often in the villages the demo runs worse; each failure
/// opens its case through the intake decision, carried through the workflow to its close, and is re-inspected a day
/// after — put right, or failing again and put right three days later. A round whose re-inspection is still ahead
/// keeps its failures open. So this year's scores move with what the inspectors find. Synthetic and deterministic.
enum DemoSpotChecks {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let db = app.db
        let store = SpotCheckStore(db: db)
        guard try await store.rounds().isEmpty else { return false }
        let directory = DirectoryStore(db: db)
        let now = app.clock.now
        guard let adminUser = try await directory.user(username: "district-admin"), let admin = try await directory.actor(userID: adminUser.id, now: now),
              let streetUser = try await directory.user(username: "street-minzhi"), let street = try await directory.actor(userID: streetUser.id, now: now),
              let adminOrg = admin.org, let streetOrg = street.org else { return false }
        let reference = try await app.caseReference.get(db)
        let year = LocalDate.beijing(now).year
        let villages = reference.areas.values.filter { $0.kind == .village }.sorted { $0.code < $1.code }
        let quality = Dictionary(uniqueKeysWithValues: villages.enumerated().map { ($0.element.id, DemoCaseHistory.quality[$0.offset % DemoCaseHistory.quality.count]) })
        let gridsUnder: (Area) -> [Area] = { a in reference.areas.values.filter { $0.kind == .grid && $0.centre != nil && $0.path.contains(a.id) } }
        guard let district = reference.areas.values.first(where: { $0.kind == .district }),
              let minzhi = street.orgAreas.lazy.compactMap({ reference.areas[$0] }).first(where: { $0.kind == .street }) else { return false }
        let everyone = CaseActor(id: streetUser.id, name: streetUser.displayName, capacities: Set(CaseCapacity.allCases))
        var rng = SplitMix64(seed: 2026_0312)
        var serial = 0
        var loaded = false
        let types: [SpotCheckPlaceType] = [.street, .toilet, .street, .facilities, .street]
        for (n, month) in [3, 5, 7, 9, 11].enumerated() {
            let day = LocalDate(year: year, month: month, day: 12)
            let at = day.beijingMidnight.addingTimeInterval(9.5 * 3_600)
            guard at.addingTimeInterval(86_400) < now else { continue }
            let (inspector, org, area) = n % 2 == 0 ? (admin, adminOrg, district) : (street, streetOrg, minzhi)
            let type = types[n]
            let grids = gridsUnder(area).sorted { $0.code < $1.code }
            let seed = rng.next()
            let drawn = SpotCheckDraw.draw(grids.map(\.code), count: 4, seed: seed)
            let roundID = UUID()
            let spots = drawn.enumerated().compactMap { i, code -> SpotCheckRow? in
                guard let g = reference.areasByCode[code] else { return nil }
                return SpotCheckRow(id: UUID(), roundId: roundID, position: i + 1, gridId: g.id, gridCode: g.code,
                                    villageId: reference.path(of: g).first { $0.kind == .village }?.id, areaPath: Area.encodePath(g.path))
            }
            let round = try await store.create(SpotCheckRoundRow(id: roundID, code: "", title: "\(month) 月\(type == .street ? "市容环境" : type == .toilet ? "公厕" : "公共设施")抽查",
                                                                  placeType: type.rawValue, scopeAreaId: area.id, orgId: org.id, day: day.description,
                                                                  seed: SpotCheckDraw.text(seed), population: grids.map(\.code).joined(separator: ","),
                                                                  drawn: spots.count, createdBy: inspector.user.id, createdAt: at.addingTimeInterval(-3 * 86_400)),
                                               spots: spots)
            loaded = true
            for (s, spot) in spots.enumerated() {
                guard let grid = reference.areas[spot.gridId], let centre = grid.centre else { continue }
                let q = spot.villageId.flatMap { quality[$0] } ?? 0.9
                let inspectedAt = at.addingTimeInterval(Double(s) * 2_400)
                var findings: [SpotCheckFinding] = []
                var closes: [Int: Date] = [:]
                for (i, item) in type.items.enumerated() {
                    guard rng.unit() < (1 - q) * 0.9 else { findings.append(SpotCheckFinding(item: i, key: item.key, passed: true)); continue }
                    guard let category = reference.taxonomy.eventCategory(item.category) else { continue }
                    let path = reference.path(of: grid)
                    let located = CaseIntake.Located(
                        category: category, categoryVersion: reference.taxonomy.version(of: category.code),
                        ownerDepartmentID: category.ownerDepartment.flatMap { reference.departments[$0]?.id }, area: grid, path: path, position: centre,
                        routing: reference.route(category, at: grid, now: inspectedAt),
                        dispatchCentre: reference.dispatchCentre(village: spot.villageId, street: path.first { $0.kind == .street }?.id), duplicateOf: nil)
                    let report = CaseReport(category: category.code, position: centre, placeCode: nil,
                                            description: "抽查不合格（\(round.code) \(round.title)）：\(item.label.zh)", urgency: nil)
                    let opened = try CaseIntake.open(report, id: UUID.timeOrdered(at: inspectedAt), located: located,
                                                     origin: CaseIntake.Origin(source: .patrol, reporter: inspector, reporterName: nil), now: inspectedAt, calendar: reference.calendar)
                    let (c, events, closed) = try DemoCaseHistory.work(opened, at: inspectedAt, located: located, reference: reference, by: everyone, quality: q,
                                                                       rejectShare: 0, rng: &rng)
                    var new = CaseStore.NewCase(c, history: events, notices: [])
                    new.row.idempotencyKey = "demo-spot-check:\(serial)"
                    serial += 1
                    let saved = try await app.intakeBatcher.submit(new, year: LocalDate.beijing(inspectedAt).year)
                    findings.append(SpotCheckFinding(item: i, key: item.key, passed: false, caseNumber: saved.number, deadline: c.workflow.deadline))
                    closes[i] = closed
                }
                var row = try await store.record(spot, findings: findings, by: inspector.user.id, at: inspectedAt, position: centre)
                // Re-inspected the day after the last case closed: put right, or (in a worse-run village) failing again
                // and put right three days later.
                guard let last = closes.values.max() else { continue }
                let first = last.addingTimeInterval(86_400)
                guard first < now else { continue }
                var answers: [Int: String] = [:]
                for i in closes.keys { answers[i] = rng.unit() < q ? "pass" : "fail" }
                guard case .success(let rechecked) = SpotCheckRules.recheck(findings, answers: answers, now: first) else { continue }
                row = try await store.recheck(row, findings: rechecked, at: first)
                let second = first.addingTimeInterval(3 * 86_400)
                if rechecked.contains(where: \.open), second < now,
                   case .success(let final) = SpotCheckRules.recheck(rechecked, answers: Dictionary(uniqueKeysWithValues: closes.keys.map { ($0, "pass") }), now: second) {
                    row = try await store.recheck(row, findings: final, at: second)
                }
            }
        }
        return loaded
    }
}

import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's case history since the first of January last year (once): about ten cases a month in each pilot village,
/// each opened by the real intake decision and carried through the real workflow to its close, so last year's and
/// this year's assessments have records to score. The villages are run differently on purpose — one nearly always on
/// time, one often late and reworked — so the ranking, the grades and the evidence behind a lost point show something.
/// About a third come from residents, most of whom rated the result. Synthetic and deterministic (one seed); no
/// notifications (a history loaded, not lived), no open case (the queue stays the demo's own).
enum DemoCaseHistory {
    /// How well each pilot village is run, by its place in code order: the share of cases handled by their deadline.
    static let quality = [0.97, 0.9, 0.84, 0.93, 0.76, 0.88]
    static let perMonth = 10

    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let db = app.db
        guard try await CaseStore(db: db).find(idempotencyKey: "demo-history:0") == nil else { return false }
        let reference = try await app.caseReference.get(db)
        let directory = DirectoryStore(db: db)
        guard let patrolUser = try await directory.user(username: "steward-patrol"), let patroller = try await directory.actor(userID: patrolUser.id, now: app.clock.now) else {
            return false
        }
        let now = app.clock.now
        let start = LocalDate(year: LocalDate.beijing(now).year - 1, month: 1, day: 1).beijingMidnight
        let end = now.addingTimeInterval(-3 * 86_400)
        guard end > start else { return false }
        let villages = reference.areas.values.filter { v in
            v.kind == .village && reference.areas.values.contains { $0.kind == .grid && $0.centre != nil && $0.path.contains(v.id) }
        }.sorted { $0.code < $1.code }
        let categories = SyntheticCases.categories.compactMap { reference.taxonomy.eventCategory($0) }
        let everyone = CaseActor(id: patrolUser.id, name: patrolUser.displayName, capacities: Set(CaseCapacity.allCases))
        var rng = SplitMix64(seed: 2025)
        var batch: [(CaseStore.NewCase, Int)] = []
        var serial = 0
        let count = Int(end.timeIntervalSince(start) / (30 * 86_400) * Double(perMonth))
        for (v, village) in villages.enumerated() {
            let q = quality[v % quality.count]
            let grids = reference.areas.values.filter { $0.kind == .grid && $0.centre != nil && $0.path.contains(village.id) }.sorted { $0.code < $1.code }
            let step = end.timeIntervalSince(start) / Double(max(count, 1))
            for i in 0..<count {
                // Working hours, Beijing: reports come in by day.
                var at = start.addingTimeInterval(Double(i) * step + rng.unit() * step)
                let hour = (Int(at.timeIntervalSince1970) + 8 * 3_600) % 86_400 / 3_600
                if hour < 8 || hour > 19 { at = at.addingTimeInterval(Double((10 - hour + 24) % 24) * 3600) }
                guard at < end else { continue }
                let grid = grids[rng.below(grids.count)], category = categories[rng.below(categories.count)]
                let centre = grid.centre!
                let position = GeoPoint(lat: centre.lat + (rng.unit() - 0.5) * 0.0006, long: centre.long + (rng.unit() - 0.5) * 0.0006)
                let path = reference.path(of: grid)
                let located = CaseIntake.Located(
                    category: category, categoryVersion: reference.taxonomy.version(of: category.code),
                    ownerDepartmentID: category.ownerDepartment.flatMap { reference.departments[$0]?.id }, area: grid, path: path, position: position,
                    routing: reference.route(category, at: grid, now: at),
                    dispatchCentre: reference.dispatchCentre(village: village.id, street: path.first { $0.kind == .street }?.id), duplicateOf: nil)
                let fromResident = rng.unit() < 0.35
                let report = CaseReport(category: category.code, position: position, placeCode: nil,
                                        description: "\(category.name)（\(grid.name)）", urgency: nil)
                let origin = fromResident ? CaseIntake.Origin(source: .resident, reporter: nil, reporterName: "居民")
                    : CaseIntake.Origin(source: .patrol, reporter: patroller, reporterName: nil)
                let opened = try CaseIntake.open(report, id: UUID.timeOrdered(at: at), located: located, origin: origin, now: at, calendar: reference.calendar)
                let (c, events, t) = try work(opened, at: at, located: located, reference: reference, by: everyone, quality: q, rejectShare: 0.03, rng: &rng)
                var resident: ResidentReportRow?
                if fromResident {
                    let key = "demo-history:\(serial)"
                    var rating: Int?
                    if c.workflow.state == .closed, rng.unit() < 0.8 {
                        let u = rng.unit()
                        rating = u < q * 0.7 ? 5 : u < q ? 4 : u < q + (1 - q) * 0.5 ? 3 : u < q + (1 - q) * 0.8 ? 2 : 1
                    }
                    resident = ResidentReportRow(caseId: c.id, trackingHash: ResidentReportRow.hash(token: app.fieldCipher.derivedToken("tracking", key)), phoneSealed: nil, phoneIndex: nil,
                                                 phoneMasked: nil, language: "zh", rating: rating, ratingComment: nil,
                                                 ratedAt: rating == nil ? nil : t.addingTimeInterval(86_400 * (0.2 + rng.unit() * 2)), createdAt: at)
                }
                var new = CaseStore.NewCase(c, history: events, notices: [])
                new.row.idempotencyKey = "demo-history:\(serial)"
                new.resident = resident
                new.row.rating = resident?.rating
                serial += 1
                batch.append((new, reference.calendar.localDate(at).year))
            }
        }
        let loop = app.eventLoopGroup.any()
        for chunk in stride(from: 0, to: batch.count, by: 500) {
            let futures = batch[chunk..<min(batch.count, chunk + 500)].map { app.intakeBatcher.submit($0.0, year: $0.1, on: loop) }
            for f in futures { _ = try await f.get() }
        }
        try await CaseStore(db: db).refreshStatistics()
        return true
    }

    /// Carries an opened case through the real workflow to its close (or rejects a few): filed, dispatched, accepted,
    /// handled on time with probability `q` or late, sometimes reworked, verified and closed. Its case, its events and
    /// when the last step was taken.
    static func work(_ opened: NewCase, at: Date, located: CaseIntake.Located, reference: CaseReference, by everyone: CaseActor, quality q: Double,
                     rejectShare: Double, rng: inout SplitMix64) throws -> (Case, [CaseEvent], Date) {
        var c = opened.opened
        var events = opened.events
        var t = at
        func act(_ action: CaseAction, after seconds: TimeInterval, note: String? = nil) throws {
            t = t.addingTimeInterval(seconds)
            let change = try CaseWorkflow.apply(CaseActionRequest(action: action, note: note), to: c, by: everyone, limit: reference.handlingLimit(for: c),
                                                dispatchCentre: located.dispatchCentre, evidence: .none, now: t, calendar: reference.calendar)
            c = change.after
            events.append(change.event)
        }
        if rng.unit() < rejectShare {
            try act(.reject, after: 1_800, note: "非城管问题，已告知上报人")
        } else {
            try act(.file, after: 600 + rng.unit() * 1_800)
            try act(.dispatch, after: 300 + rng.unit() * 1_200)
            try act(.accept, after: 600 + rng.unit() * 3_600)
            let deadline = c.workflow.deadline
            let late = rng.unit() > q
            // On time: somewhere inside the limit; late: hours to days past it.
            let handleAt = late ? deadline.addingTimeInterval(3_600 + rng.unit() * 2.5 * 86_400)
                : t.addingTimeInterval(max(600, deadline.timeIntervalSince(t) * (0.15 + 0.7 * rng.unit())))
            try act(.handle, after: max(60, handleAt.timeIntervalSince(t)), note: "已处置")
            if rng.unit() < (1 - q) * 0.6 {
                try act(.failVerification, after: 3_600 + rng.unit() * 7_200, note: "复核未通过：现场仍未清理干净")
                try act(.handle, after: 4 * 3_600 + rng.unit() * 20 * 3_600, note: "返工后已处置")
            }
            try act(.passVerification, after: 1_800 + rng.unit() * 7_200)
            try act(.close, after: 600 + rng.unit() * 3_600)
        }
        return (c, events, t)
    }
}

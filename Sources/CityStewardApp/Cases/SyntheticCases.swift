import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// A year of synthetic cases for load tests (`citysteward synthesize`, `scripts/bench --scale`): each one opened by
/// the real intake decision (`CaseIntake.open`, routing, deadlines) and carried through the real workflow
/// (`CaseWorkflow.apply`) to where a case of its age would be, then written by the intake's batch writer — the rows,
/// timeline and outbox an HTTP-filled database has, at bulk speed; a third reported by residents, most of whose closed
/// cases are rated. Deterministic for a seed.
struct SyntheticCases {
    let app: Application

    /// The categories of Benchmarks/wrk/intake.lua: different routing rules (contract, department, street).
    static let categories = ["06010", "06012", "09010", "06042", "06001", "08004", "06013", "09006"]

    struct Outcome {
        var cases = 0
        var events = 0
        var seconds = 0.0
    }

    /// Fills `count` cases reported over the `days` before now, in `villageCode` (all in one village: the worst
    /// case for a street's queue). Progress goes to `progress` every 100,000 cases.
    func fill(count: Int, villageCode: String, days: Int, seed: UInt64, progress: @Sendable (Int) -> Void) async throws -> Outcome {
        let db = app.db
        let reference = try await app.caseReference.get(db)
        guard let village = reference.areasByCode[villageCode], village.kind == .village else {
            throw CommandFailure(description: "no village \(villageCode)")
        }
        let directory = DirectoryStore(db: db)
        guard let patrolUser = try await directory.user(username: "steward-patrol"), let patroller = try await directory.actor(userID: patrolUser.id, now: app.clock.now) else {
            throw CommandFailure(description: "the synthetic cases are reported by the demo's steward-patrol: run `citysteward demo` on the file first")
        }
        let grids = reference.areas.values.filter { $0.kind == .grid && $0.path.contains(village.id) && $0.centre != nil }.sorted { $0.code < $1.code }
        let categories = Self.categories.compactMap { reference.taxonomy.eventCategory($0) }
        guard !grids.isEmpty, !categories.isEmpty else { throw CommandFailure(description: "\(villageCode) has no grids with a centre") }
        let now = app.clock.now
        let start = now.addingTimeInterval(-Double(days) * 86_400)
        let step = Double(days) * 86_400 / Double(max(count, 1))
        let everyone = CaseActor(id: patrolUser.id, name: patrolUser.displayName, capacities: Set(CaseCapacity.allCases))
        var rng = SplitMix64(seed: seed)
        var outcome = Outcome()
        let clock = ContinuousClock.now
        let chunk = 2_000
        var made = 0
        while made < count {
            var batch: [(CaseStore.NewCase, Int)] = []
            for i in made..<min(made + chunk, count) {
                let at = start.addingTimeInterval(Double(i) * step + rng.unit() * step)
                let grid = grids[rng.below(grids.count)], category = categories[rng.below(categories.count)]
                let centre = grid.centre!
                let position = GeoPoint(lat: centre.lat + (rng.unit() - 0.5) * 0.0004, long: centre.long + (rng.unit() - 0.5) * 0.0004)
                let path = reference.path(of: grid)
                let located = CaseIntake.Located(
                    category: category, categoryVersion: reference.taxonomy.version(of: category.code),
                    ownerDepartmentID: category.ownerDepartment.flatMap { reference.departments[$0]?.id }, area: grid, path: path, position: position,
                    routing: reference.route(category, at: grid, now: at),
                    dispatchCentre: reference.dispatchCentre(village: village.id, street: path.first { $0.kind == .street }?.id), duplicateOf: nil)
                let report = CaseReport(category: category.code, position: position, placeCode: nil, description: "synthetic report \(category.name)", urgency: nil)
                // A third from residents (they rate most closed cases), the rest from the patrol.
                let fromResident = rng.unit() < 0.3
                let origin = fromResident ? CaseIntake.Origin(source: .resident, reporter: nil, reporterName: "居民")
                    : CaseIntake.Origin(source: .patrol, reporter: patroller, reporterName: nil)
                let opened = try CaseIntake.open(report, id: UUID.timeOrdered(at: at), located: located, origin: origin, now: at, calendar: reference.calendar)
                var c = opened.opened
                var events = opened.events
                var notices = opened.notices.map { ($0, at) }
                // How far a case of this age has come: most of a year's cases are closed, the last days' still open.
                let age = now.timeIntervalSince(at) / 86_400
                let roll = rng.unit()
                let path5: [CaseAction]
                if roll < 0.03 { path5 = [.reject] }
                else if age > 10 || roll < 0.6 * min(age / 10, 1) {
                    // One in twenty sent back once by verification (返工).
                    path5 = roll < 0.08 ? [.file, .dispatch, .accept, .handle, .failVerification, .handle, .passVerification, .close]
                        : [.file, .dispatch, .accept, .handle, .passVerification, .close]
                }
                else { path5 = Array([.file, .dispatch, .accept, .handle].prefix(rng.below(5))) }
                var t = at
                for action in path5 {
                    guard CaseAction(rawValue: action.rawValue)!.from.contains(c.workflow.state) else { continue }
                    t = t.addingTimeInterval(1_800 + rng.unit() * 14_400)
                    guard t < now, let change = try? CaseWorkflow.apply(
                        CaseActionRequest(action: action, note: action == .reject ? "非城管问题" : action == .failVerification ? "未清理干净" : nil), to: c, by: everyone,
                        // A measured year of history, not a record of work: it carries no photos to show.
                        limit: reference.handlingLimit(for: c), dispatchCentre: located.dispatchCentre, evidence: .none, now: t, calendar: reference.calendar) else { break }
                    c = change.after
                    events.append(change.event)
                    notices += change.notices.map { ($0, t) }
                }
                var new = CaseStore.NewCase(c, history: events, notices: notices)
                if fromResident {
                    let rating: Int? = c.workflow.state == .closed && rng.unit() < 0.8 ? [5, 5, 5, 4, 4, 3, 2, 1][rng.below(8)] : nil
                    new.resident = ResidentReportRow(caseId: c.id, trackingHash: ResidentReportRow.hash(token: "synthetic-\(seed)-\(i)"), phoneSealed: nil,
                                                     phoneIndex: nil, phoneMasked: nil, language: "zh", rating: rating, ratingComment: nil,
                                                     ratedAt: rating == nil ? nil : t.addingTimeInterval(3_600), createdAt: at)
                    new.row.rating = rating
                }
                outcome.events += events.count
                batch.append((new, reference.calendar.localDate(at).year))
            }
            let loop = app.eventLoopGroup.any()
            let futures = batch.map { app.intakeBatcher.submit($0.0, year: $0.1, on: loop) }
            for f in futures { _ = try await f.get() }
            made += batch.count
            if made % 100_000 == 0 || made == count { progress(made) }
        }
        outcome.cases = made
        let elapsed = ContinuousClock.now - clock
        outcome.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return outcome
    }
}

struct SynthesizeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "cases", help: "how many cases (default 1000000)") var cases: Int?
        @Option(name: "village", help: "the village code they are reported in (default 440309002001V01)") var village: String?
        @Option(name: "days", help: "reported over this many days before now (default 365)") var days: Int?
        @Option(name: "seed", help: "the generator's seed (default 1)") var seed: Int?
    }
    var help: String { "Load tests only: fills the database with a year of synthetic cases through the intake's decisions and batch writer." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let count = signature.cases ?? 1_000_000
        guard count > 0, count <= 20_000_000 else { throw CommandFailure(description: "--cases is 1 to 20000000") }
        let console = context.console
        let outcome = try await SyntheticCases(app: context.application).fill(
            count: count, villageCode: signature.village ?? "440309002001V01", days: max(signature.days ?? 365, 1),
            seed: UInt64(max(signature.seed ?? 1, 0))) { made in console.print("\(made) cases") }
        try await CaseStore(db: context.application.db).refreshStatistics()
        console.print("synthesized \(outcome.cases) cases (\(outcome.events) timeline rows) in \(String(format: "%.1f", outcome.seconds)) s")
    }
}

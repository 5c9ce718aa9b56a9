import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Patrol routes (巡更) and check-ins, for the console and the API alike: routes made by the steward's dispatcher,
/// scans recorded with device and server time, position and accuracy, flagged (never refused) when they look wrong,
/// and counted into their round — the task of the route's patrol plan — which starts with its first scan and is done
/// with its last checkpoint.
struct PatrolService {
    let req: Request

    var store: PatrolStore { PatrolStore(db: req.db) }

    func routes() async throws -> [PatrolRoute] {
        let (_, scope) = try OperationsService(req: req).actor()
        return try await store.routes(scope)
    }

    func route(_ id: String) async throws -> PatrolRoute {
        let (_, scope) = try OperationsService(req: req).actor()
        guard let uuid = UUID(uuidString: id) else { throw PatrolStore.routeNotFound }
        return try await store.route(uuid, scope)
    }

    /// A route's checkpoints get codes like `K7G3QX9D`: short enough to type, unguessable enough that a code cannot be
    /// made up from another (the URL is all a printed code carries).
    static func newCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

    func createRoute(name: String, area code: String, checkpoints: [CheckpointInput]) async throws -> PatrolRoute {
        let service = OperationsService(req: req)
        let (actor, _) = try service.actor()
        guard OperationsAccess.mayPlanAny(actor) else { throw OperationsService.planningForbidden }
        let areas = try await service.plannableAreas(actor)
        let chosen = areas[code.trimmingCharacters(in: .whitespaces)]
        // The village's outline with a margin of about 200 m: a checkpoint far outside is a typo (the reference data
        // in memory has no shapes; the store has).
        var box: GeoBox?
        if let chosen, let b = try await AreaStore(db: req.db).find(code: chosen.area.code)?.shape?.boundingBox {
            box = GeoBox(minLat: b.minLat - 0.002, minLong: b.minLong - 0.002, maxLat: b.maxLat + 0.002, maxLong: b.maxLong + 0.002)
        }
        let terms: PatrolRouteTerms
        switch PatrolRouteRules.validate(name: name, area: chosen?.area, checkpoints: checkpoints, within: box, codes: Self.newCode) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        guard let chosen else { throw OperationsService.planningForbidden }
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let made = try await PatrolStore(db: tx).create(terms, org: chosen.steward, area: chosen.area, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.routeChanged.rawValue, subject: "route:\(made.id.uuidString.lowercased())",
                                                detail: "patrol route \(terms.name): \(terms.checkpoints.count) checkpoints", actorID: who.user.id,
                                                actorName: who.user.displayName, at: now)
            return made
        }
    }

    /// What a scan answers: the check-in, its checkpoint and route, and how far its round got.
    struct Scan {
        var checkin: CheckinRow
        var checkpoint: Checkpoint
        var route: PatrolRoute
        var round: WorkTaskRow?
        var progress: RoundProgress?
        /// False when the same scan was sent again (its idempotency key was known): nothing new was stored.
        var created: Bool
    }

    /// The checkpoint a code names, for a caller who may patrol its steward's routes; anyone else finds nothing.
    func checkpoint(code: String) async throws -> (route: PatrolRoute, checkpoint: Checkpoint, worker: TaskWorker) {
        let (actor, _) = try OperationsService(req: req).actor()
        let teams = try await TeamStore(db: req.db).teams(of: actor.user.id)
        guard let (route, point) = try await store.checkpoint(code: code.trimmingCharacters(in: .whitespaces).uppercased()),
              let worker = OperationsAccess.worker(actor, stewardID: route.orgId, teams: teams) else { throw PatrolStore.checkpointNotFound }
        return (route, point, worker)
    }

    /// The round a scan by `worker` now counts in: today's round of the route given to them (or any, for the
    /// dispatcher) whose window holds now, else the nearest open one today.
    func round(of route: PatrolRoute, for worker: TaskWorker, now: Date) async throws -> WorkTaskRow? {
        let rounds = try await WorkPlanStore(db: req.db).rounds(route: route.id, on: LocalDate.beijing(now))
            .filter { worker.dispatches || worker.isAssigned($0.task) }
        if let current = rounds.first(where: { $0.windowStart <= now && now <= $0.windowEnd && $0.state != WorkTaskState.missed.rawValue }) { return current }
        return rounds.filter { $0.task.state.isOpen }.min { abs($0.windowStart.timeIntervalSince(now)) < abs($1.windowStart.timeIntervalSince(now)) }
    }

    func progress(_ route: PatrolRoute, _ checkins: [CheckinRow]) -> RoundProgress {
        RoundProgress(route: route.checkpoints, checkins: checkins.map { ($0.checkpointId, $0.flagSet) })
    }

    func progress(_ route: PatrolRoute, task: UUID) async throws -> RoundProgress {
        let state = try await store.roundState(task: task)
        return RoundProgress(route: route.checkpoints, visited: state.visited, flagged: state.flagged)
    }

    /// Records a scan. The same idempotency key again answers the check-in already stored.
    func checkIn(code: String, report given: CheckinReport, idempotencyKey: String?, photo: Data? = nil) async throws -> Scan {
        let found = try await checkpoint(code: code)
        var report = given
        report.hasPhoto = photo != nil
        let key = idempotencyKey.map { "\(found.worker.userID.uuidString.lowercased()):\($0)" }
        if let key, let existing = try await store.checkin(idempotencyKey: key) {
            var round: WorkTaskRow?
            var progress: RoundProgress?
            if let task = existing.taskId {
                round = try await WorkPlanStore(db: req.db).task(task, .all)
                progress = try await self.progress(found.route, task: task)
            }
            return Scan(checkin: existing, checkpoint: found.checkpoint, route: found.route, round: round, progress: progress, created: false)
        }
        let now = req.now
        let round = try await round(of: found.route, for: found.worker, now: now)
        let state = round == nil ? (last: nil, visited: [], flagged: 0) : try await store.roundState(task: round!.id)
        let flags = CheckinAssessment.flags(report, at: found.checkpoint, route: found.route.checkpoints, last: state.last?.recorded, visited: state.visited,
                                            window: round.map { ($0.windowStart, $0.windowEnd) }, now: now)
        // The round starts with its first scan and is done with its last checkpoint (flagged scans count: they are
        // evidence for the dispatcher to judge, not refusals).
        var next = round?.task
        if let r = round, r.task.state.isOpen {
            let visited = state.visited.union([found.checkpoint.id])
            let action: WorkTaskAction? = visited.count == found.route.checkpoints.count ? .complete(note: nil) : (r.task.state == .scheduled ? .start : nil)
            if let action, case .success(let t) = WorkTaskWorkflow.apply(r.task, action, by: found.worker, now: now) { next = t }
        }
        let changed = next
        // The photo is checked (type, size) and stored before the row that names it.
        var photoName: String?
        if let photo {
            let prepared = try PreparedPhoto.prepare([(photo, .evidence)], policy: .standard)
            _ = try await req.application.photoStorage.write(prepared)
            photoName = prepared.first.map { "\($0.hash).\($0.format.fileExtension)" }
        }
        let new = NewCheckin(checkpoint: found.checkpoint, route: found.route, task: round?.id, user: found.worker.userID, report: report, flags: flags, idempotencyKey: key,
                             photo: photoName)
        let (stored, task) = try await req.db.writeTransaction { tx -> (CheckinRow, WorkTaskRow?) in
            let row = try await PatrolStore(db: tx).insert(new, at: now)
            if let r = round, let n = changed, n != r.task { _ = try await WorkPlanStore(db: tx).save(n, was: r, at: now) }
            return (row, round == nil ? nil : try await WorkPlanStore(db: tx).task(round!.id, .all))
        }
        let progress = round == nil ? nil : try await self.progress(found.route, task: round!.id)
        return Scan(checkin: stored, checkpoint: found.checkpoint, route: found.route, round: task, progress: progress, created: true)
    }
}

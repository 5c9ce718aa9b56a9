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
        let cache = req.application.patrolCache, db = req.db
        let teams = try await cache.teams(of: actor.user.id) { try await TeamStore(db: db).teams(of: actor.user.id) }
        let normalized = code.trimmingCharacters(in: .whitespaces).uppercased()
        guard let (route, point) = try await cache.checkpoint(code: normalized, load: { try await PatrolStore(db: db).checkpoint(code: normalized) }),
              let worker = OperationsAccess.worker(actor, stewardID: route.orgId, teams: teams) else { throw PatrolStore.checkpointNotFound }
        return (route, point, worker)
    }

    /// The round a scan by `worker` now counts in: today's round of the route given to them (or any, for the
    /// dispatcher) whose window holds now, else the nearest open one today.
    func round(of route: PatrolRoute, for worker: TaskWorker, now: Date) async throws -> WorkTaskRow? {
        let db = req.db, day = LocalDate.beijing(now)
        let rounds = try await req.application.patrolCache.rounds(route: route.id, on: day) { try await WorkPlanStore(db: db).rounds(route: route.id, on: day) }
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
    ///
    /// Only the write touches the database on the way (the checkpoint, the person's teams, the route's rounds and the
    /// round's state are held by `PatrolCache`), and scans arriving together are written in one transaction
    /// (`checkinCommitter`); the answer comes after the commit.
    func checkIn(code: String, report given: CheckinReport, idempotencyKey: String?, photo: Data? = nil) async throws -> Scan {
        let found = try await checkpoint(code: code)
        var report = given
        report.hasPhoto = photo != nil
        let key = idempotencyKey.map { "\(found.worker.userID.uuidString.lowercased()):\($0)" }
        if let key {
            // The same key sent twice at once: the second waits for the first, then finds what it stored.
            let cache = req.application.patrolCache
            let claimed = await cache.claim(key: key)
            defer { if claimed { cache.release(key: key) } }
            if let existing = try await store.checkin(idempotencyKey: key) { return try await resent(existing, found) }
            guard claimed else { return try await checkIn(code: code, report: given, idempotencyKey: idempotencyKey, photo: photo) }
            return try await scan(found, report: report, key: key, photo: photo)
        }
        return try await scan(found, report: report, key: nil, photo: photo)
    }

    private func scan(_ found: (route: PatrolRoute, checkpoint: Checkpoint, worker: TaskWorker), report: CheckinReport, key: String?, photo: Data?) async throws -> Scan {
        let now = req.now
        let round = try await round(of: found.route, for: found.worker, now: now)
        // The photo is checked (type, size) and stored before the row that names it.
        var photoName: String?
        if let photo {
            let prepared = try PreparedPhoto.prepare([(photo, .evidence)], policy: .standard)
            _ = try await req.application.photoStorage.write(prepared)
            photoName = prepared.first.map { "\($0.hash).\($0.format.fileExtension)" }
        }
        let (route, point, worker) = (found.route, found.checkpoint, found.worker)
        func record(_ decision: ScanDecision, task: UUID?) -> CheckinRow {
            NewCheckin(checkpoint: point, route: route, task: task, user: worker.userID, report: report, flags: decision.flags, idempotencyKey: key,
                       photo: photoName).row(at: now)
        }
        guard let round else {
            let decision = CheckinAssessment.decide(report, at: point, route: route.checkpoints, round: nil, state: RoundState(), worker: worker, now: now)
            let row = record(decision, task: nil)
            do { _ = try await committed(CheckinWrite(row: row, task: nil, was: nil), key: key, found) } catch let resend as Resent { return resend.scan }
            return Scan(checkin: row, checkpoint: point, route: route, round: nil, progress: nil, created: true)
        }
        let cache = req.application.patrolCache, db = req.db
        let (write, task, state) = try await cache.judge(round: round, load: {
            (try await WorkPlanStore(db: db).task(round.id, .all), try await PatrolStore(db: db).roundState(task: round.id))
        }) { task, state in
            let decision = CheckinAssessment.decide(report, at: point, route: route.checkpoints, round: (task.task, (task.windowStart, task.windowEnd)),
                                                    state: state, worker: worker, now: now)
            let next = decision.task.map { WorkPlanStore.saved($0, was: task, at: now) } ?? task
            return ((CheckinWrite(row: record(decision, task: task.id), task: decision.task, was: decision.task == nil ? nil : task), next, decision.state),
                    next, decision.state)
        }
        let saved: Bool
        do {
            saved = try await committed(write, key: key, found)
        } catch let resend as Resent {
            cache.settle(round: round.id, kept: false)
            return resend.scan
        } catch {
            cache.settle(round: round.id, kept: false)
            throw error
        }
        cache.settle(round: round.id, kept: saved)
        return Scan(checkin: write.row, checkpoint: point, route: route, round: saved ? task : try await WorkPlanStore(db: db).task(round.id, .all),
                    progress: RoundProgress(route: route.checkpoints, visited: state.visited, flagged: state.flagged), created: true)
    }

    /// Writes a check-in in the next batch. The same key sent twice at once stores one row: the second write breaks the
    /// key's unique index and answers as a resend.
    private func committed(_ write: CheckinWrite, key: String?, _ found: (route: PatrolRoute, checkpoint: Checkpoint, worker: TaskWorker)) async throws -> Bool {
        do {
            return try await req.application.checkinCommitter.submit(write)
        } catch {
            if let key, let existing = try await store.checkin(idempotencyKey: key), existing.id != write.row.id { throw Resent(scan: try await resent(existing, found)) }
            throw error
        }
    }

    /// A scan sent again: the check-in stored the first time, with its round as it is now.
    private func resent(_ existing: CheckinRow, _ found: (route: PatrolRoute, checkpoint: Checkpoint, worker: TaskWorker)) async throws -> Scan {
        var round: WorkTaskRow?
        var progress: RoundProgress?
        if let task = existing.taskId {
            round = try await WorkPlanStore(db: req.db).task(task, .all)
            progress = try await self.progress(found.route, task: task)
        }
        return Scan(checkin: existing, checkpoint: found.checkpoint, route: found.route, round: round, progress: progress, created: false)
    }

    /// Thrown by a write that turned out to be a resend, with the scan already stored.
    struct Resent: Error {
        var scan: Scan
    }
}

import CityStewardCore
import CityStewardStore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// What a scan reads, kept in memory so a check-in touches the database only to write (issue 18 §10: check-ins under
/// load). Checkpoints by code are kept for good: a route never changes once made. A person's teams and a route's
/// rounds of a day are kept for `ttl`; a round's state — its task, last check-in, visited checkpoints, flagged
/// count — is owned here once read: each scan is judged and applied to it under the lock (so two scans of one round
/// never judge from the same state), then written. Anything this process changes about teams, plans or tasks clears
/// what it touches at once (`forgetTeams`, `forgetRounds`); a change made elsewhere (another instance, the CLI) is
/// seen within `ttl`, and a task changed elsewhere in between is never overwritten: its save is conditional on the
/// row it was, and a refused save drops the round's state so the next scan reads it afresh.
final class PatrolCache: Sendable {
    struct Round: Sendable {
        var task: WorkTaskRow
        var state: RoundState
        var loaded: ContinuousClock.Instant
        /// Scans judged but not yet written: the state is not read again while any is in flight.
        var inFlight: Int
        /// Scans judged against this state so far.
        var judged: Int
    }

    private struct Entries {
        var checkpoints: [String: (PatrolRoute, Checkpoint)] = [:]
        var teams: [UUID: (Set<UUID>, ContinuousClock.Instant)] = [:]
        var rounds: [String: ([WorkTaskRow], ContinuousClock.Instant)] = [:]
        var states: [UUID: Round] = [:]
        /// Idempotency keys of scans being written, with the scans sent again meanwhile waiting for them.
        var keys: [String: [CheckedContinuation<Bool, Never>]] = [:]
    }

    let ttl: Duration
    private let capacity: Int
    private let entries = NIOLockedValueBox(Entries())

    init(ttl: Duration = .seconds(10), capacity: Int = 50_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    func checkpoint(code: String, load: () async throws -> (PatrolRoute, Checkpoint)?) async throws -> (PatrolRoute, Checkpoint)? {
        if let hit = entries.withLockedValue({ $0.checkpoints[code] }) { return hit }
        guard let found = try await load() else { return nil }
        entries.withLockedValue { e in
            if e.checkpoints.count >= capacity { e.checkpoints.removeAll(keepingCapacity: true) }
            e.checkpoints[code] = found
        }
        return found
    }

    func teams(of user: UUID, load: () async throws -> Set<UUID>) async throws -> Set<UUID> {
        let now = ContinuousClock.now
        if let (teams, at) = entries.withLockedValue({ $0.teams[user] }), now - at < ttl { return teams }
        let teams = try await load()
        entries.withLockedValue { e in
            if e.teams.count >= capacity { e.teams.removeAll(keepingCapacity: true) }
            e.teams[user] = (teams, now)
        }
        return teams
    }

    /// A route's rounds of a day, each with the state this process holds of its task when it holds one.
    func rounds(route: UUID, on day: LocalDate, load: () async throws -> [WorkTaskRow]) async throws -> [WorkTaskRow] {
        let key = "\(route.uuidString)/\(day.description)", now = ContinuousClock.now
        let cached = entries.withLockedValue { e -> [WorkTaskRow]? in
            guard let (rows, at) = e.rounds[key], now - at < ttl else { return nil }
            return rows.map { e.states[$0.id]?.task ?? $0 }
        }
        if let cached { return cached }
        let rows = try await load()
        return entries.withLockedValue { e in
            if e.rounds.count >= capacity { e.rounds.removeAll(keepingCapacity: true) }
            e.rounds[key] = (rows, now)
            return rows.map { e.states[$0.id]?.task ?? $0 }
        }
    }

    /// Judges a scan against the round's state and applies it there, atomically; `load` reads the task and the state
    /// when this process does not hold them (or has held them for longer than `ttl` with nothing in flight). The change
    /// stays in flight until `settle`.
    func judge<T>(round task: WorkTaskRow, load: () async throws -> (WorkTaskRow, RoundState),
                  _ decide: (WorkTaskRow, RoundState) -> (T, WorkTaskRow, RoundState)) async throws -> T {
        let now = ContinuousClock.now
        let (held, judged) = entries.withLockedValue { e -> (Bool, Int) in
            guard let r = e.states[task.id] else { return (false, 0) }
            return (r.inFlight > 0 || now - r.loaded < ttl, r.judged)
        }
        var fresh: (WorkTaskRow, RoundState)?
        if !held { fresh = try await load() }
        return entries.withLockedValue { e in
            var round: Round
            // What was read is used unless another scan was judged meanwhile (its change may not be in the read yet).
            if let r = e.states[task.id], fresh == nil || r.judged != judged || r.inFlight > 0 {
                round = r
            } else {
                round = Round(task: fresh?.0 ?? task, state: fresh?.1 ?? RoundState(), loaded: now, inFlight: 0, judged: judged)
            }
            let (out, next, state) = decide(round.task, round.state)
            round.task = next
            round.state = state
            round.inFlight += 1
            round.judged += 1
            if e.states.count >= capacity { e.states = e.states.filter { $0.value.inFlight > 0 } }
            e.states[task.id] = round
            return out
        }
    }

    /// A judged scan was written (`kept`) or not: when not, or when its task's save was refused, the round's state is
    /// read afresh once nothing else of it is in flight (until then the scans in flight are judged one after another
    /// as before: reading now would miss what they have not yet written).
    func settle(round task: UUID, kept: Bool) {
        entries.withLockedValue { e in
            guard var r = e.states[task] else { return }
            r.inFlight -= 1
            if !kept { r.loaded = .now - ttl - .seconds(1) }
            e.states[task] = r
        }
    }

    /// Takes an idempotency key for a scan about to be judged. While another scan with the same key is being written,
    /// waits for it and returns false: the caller then finds the stored one (a resend). `release` gives it back.
    func claim(key: String) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let first = entries.withLockedValue { e -> Bool in
                if e.keys[key] != nil {
                    e.keys[key]!.append(continuation)
                    return false
                }
                e.keys[key] = []
                return true
            }
            if first { continuation.resume(returning: true) }
        }
    }

    func release(key: String) {
        let waiting = entries.withLockedValue { e in e.keys.removeValue(forKey: key) ?? [] }
        for w in waiting { w.resume(returning: false) }
    }

    func forgetTeams() {
        entries.withLockedValue { $0.teams.removeAll() }
    }

    /// Plans, tasks or rounds changed in this process: rounds and their states are read again.
    func forgetRounds() {
        entries.withLockedValue { e in
            e.rounds.removeAll()
            e.states = e.states.filter { $0.value.inFlight > 0 }.mapValues { r in
                var r = r
                r.loaded = .now - ttl - .seconds(1)
                return r
            }
        }
    }
}

extension Application {
    private struct PatrolCacheKey: StorageKey { typealias Value = PatrolCache }
    private struct CheckinCommitterKey: StorageKey { typealias Value = BatchCommitter<CheckinWrite, Bool> }

    var patrolCache: PatrolCache {
        get { storage[PatrolCacheKey.self]! }
        set { storage[PatrolCacheKey.self] = newValue }
    }

    /// Group commit for check-ins: scans that arrive while a batch commits are written together.
    var checkinCommitter: BatchCommitter<CheckinWrite, Bool> {
        get { storage[CheckinCommitterKey.self]! }
        set { storage[CheckinCommitterKey.self] = newValue }
    }
}

import CityStewardCore
import CityStewardStore
import Foundation
import Synchronization
import Vapor

/// The queue's counts per state and overdue (its chips and totals) for a scope and filter, kept for a few seconds.
/// Counting them is most of a queue page's work at a district's volume (the overdue count reads every open case in
/// scope: ~10 ms at a million cases), and every page of a queue, every refresh and every reader of the same scope asks
/// for the same figures. Any case written through this instance (a report, an action, an escalation) drops them all at
/// once, so people see their own changes; changes made by another instance, and cases turning overdue as the clock
/// passes, show within `ttl`.
final class CaseCountsCache: Sendable {
    static let ttl: TimeInterval = 10
    private struct Entry { var at: Date; var generation: Int; var counts: CaseCounts }
    private struct State { var generation = 0; var entries: [String: Entry] = [:] }
    private let state = Mutex(State())

    /// A case was written: every kept count may be wrong now.
    func changed() {
        state.withLock { $0.generation &+= 1 }
    }

    /// Kept counts for this key if fresh, and the generation a newly counted value is to be kept under.
    func get(_ key: String, now: Date) -> (counts: CaseCounts?, generation: Int) {
        state.withLock { s in
            guard let hit = s.entries[key], hit.generation == s.generation, now >= hit.at, now.timeIntervalSince(hit.at) < Self.ttl else {
                return (nil, s.generation)
            }
            return (hit.counts, s.generation)
        }
    }

    /// Keeps counts made at generation `generation` (dropped at once if a case was written meanwhile).
    func put(_ key: String, _ counts: CaseCounts, generation: Int, now: Date) {
        state.withLock { s in
            guard generation == s.generation else { return }
            // As many entries as scopes and filters in use; the stale ones go when there are many.
            if s.entries.count > 2_000 {
                let current = s.generation
                s.entries = s.entries.filter { $0.value.generation == current && now.timeIntervalSince($0.value.at) < Self.ttl }
            }
            s.entries[key] = Entry(at: now, generation: generation, counts: counts)
        }
    }

    static func key(_ scope: CaseScope, _ filter: CaseFilter) -> String {
        // The counts ignore the filter's states and overdue flag (they are counted per state, and overdue apart).
        var f = filter
        f.states = []
        f.overdueAt = nil
        return "\(scope)|\(f)"
    }
}

extension Application {
    private struct CaseCountsCacheKey: StorageKey { typealias Value = CaseCountsCache }
    var caseCounts: CaseCountsCache {
        get { storage[CaseCountsCacheKey.self]! }
        set { storage[CaseCountsCacheKey.self] = newValue }
    }
}

extension Request {
    /// A page of the queue in the caller's scope with the counts of the same scope and filter, counted at most once in
    /// `CaseCountsCache.ttl` (see there).
    func caseQueue(scope: CaseScope, filter: CaseFilter, limit: Int, offset: Int = 0, after: CaseCursor? = nil,
                   before: CaseCursor? = nil) async throws -> (page: CasePage, counts: CaseCounts) {
        let cache = application.caseCounts, key = CaseCountsCache.key(scope, filter), now = self.now
        let (known, generation) = cache.get(key, now: now)
        let result = try await cases.queue(scope: scope, filter: filter, limit: limit, offset: offset, after: after, before: before,
                                           now: now, known: known)
        if known == nil { cache.put(key, result.counts, generation: generation, now: now) }
        return result
    }
}

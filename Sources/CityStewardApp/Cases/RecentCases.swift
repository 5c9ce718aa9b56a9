import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import NIOConcurrencyHelpers

/// The reports of the last 48 hours by category and ~100 m cell, in memory, for the duplicate check on every
/// intake (a database query there cost about a fifth of the intake rate). Filled from the database on first use,
/// then with this instance's own reports as they commit, and every `refresh` with what other instances stored
/// (rows reported since the newest one seen, with a margin for commit order). Each cell keeps its newest 32
/// reports: a duplicate of something older in a busy cell is a duplicate of one of those too.
final class RecentCases: Sendable {
    struct Entry: Sendable {
        let id: UUID
        let number: String
        let position: GeoPoint
        let reportedAt: Date
    }

    private struct Key: Hashable {
        let category: String
        let row: Int
        let column: Int
    }

    private struct State {
        var cells: [Key: [Entry]] = [:]
        var newest: Date?
        var loaded = false
        var refreshing = false
        var refreshedAt: ContinuousClock.Instant?
    }

    private let state = NIOLockedValueBox(State())
    let rule: DuplicateRule
    let refresh: Duration
    static let perCell = 32
    /// ~100 m: cells at least twice the duplicate radius, so a 3 × 3 neighbourhood covers the circle.
    static let cellDegrees = 0.001

    init(rule: DuplicateRule = .standard, refresh: Duration = .seconds(5)) {
        self.rule = rule
        self.refresh = refresh
    }

    private static func key(_ category: String, _ p: GeoPoint) -> Key {
        Key(category: category, row: Int((p.lat / cellDegrees).rounded(.down)), column: Int((p.long / cellDegrees).rounded(.down)))
    }

    /// Adds reports (idempotent by id).
    func insert(_ items: [(category: String, entry: Entry)]) {
        state.withLockedValue { s in
            for (category, entry) in items { Self.add(&s, category, entry) }
        }
    }

    private static func add(_ s: inout State, _ category: String, _ entry: Entry) {
        let k = key(category, entry.position)
        var cell = s.cells[k] ?? []
        guard !cell.contains(where: { $0.id == entry.id }) else { return }
        cell.append(entry)
        cell.sort { $0.reportedAt > $1.reportedAt }
        if cell.count > perCell { cell.removeLast(cell.count - perCell) }
        s.cells[k] = cell
        if s.newest.map({ entry.reportedAt > $0 }) ?? true { s.newest = entry.reportedAt }
    }

    /// The nearest report of the same category within the rule's radius and window, if any.
    func nearest(category: String, at p: GeoPoint, now: Date, db: any Database) async throws -> Entry? {
        try await nearby(category: category, at: p, now: now, db: db, limit: 1).first?.entry
    }

    /// Reports of the same category within the rule's radius and window, nearest first (shown to a resident before
    /// submitting: "already reported, follow it instead?").
    func nearby(category: String, at p: GeoPoint, now: Date, db: any Database, limit: Int = 5) async throws -> [(entry: Entry, metres: Double)] {
        try await refreshIfDue(db, now: now)
        let center = Self.key(category, p)
        let since = now.addingTimeInterval(-rule.window)
        // Flat-earth distance (within 0.01 % of the great circle at these ranges, and no trigonometry per entry: a
        // busy cell holds thousands).
        let metresPerDegree = 6_371_008.8 * .pi / 180, cosLat = cos(p.lat * .pi / 180)
        let found: [(entry: Entry, metres: Double)] = state.withLockedValue { s in
            var out: [(entry: Entry, metres: Double)] = []
            for dr in -1...1 {
                for dc in -1...1 {
                    guard let cell = s.cells[Key(category: category, row: center.row + dr, column: center.column + dc)] else { continue }
                    for e in cell where e.reportedAt >= since {
                        let dy = (e.position.lat - p.lat) * metresPerDegree, dx = (e.position.long - p.long) * metresPerDegree * cosLat
                        let d = (dx * dx + dy * dy).squareRoot()
                        if d <= rule.radiusMetres { out.append((e, d)) }
                    }
                }
            }
            return out
        }
        // The nearest alone (every intake) needs no sort of a busy cell.
        if limit == 1 { return found.min { $0.metres < $1.metres }.map { [$0] } ?? [] }
        return Array(found.sorted { $0.metres < $1.metres }.prefix(limit))
    }

    private func refreshIfDue(_ db: any Database, now: Date) async throws {
        let refresh = self.refresh
        let plan: (since: Date, first: Bool)? = state.withLockedValue { s in
            guard !s.refreshing else { return nil }
            if s.loaded, let at = s.refreshedAt, ContinuousClock.now - at < refresh { return nil }
            s.refreshing = true
            // Reports committed a little out of order by other instances are caught by looking back a minute.
            let since = s.loaded ? (s.newest ?? now).addingTimeInterval(-60) : now.addingTimeInterval(-rule.window)
            return (since, !s.loaded)
        }
        guard let plan else { return }
        do {
            let rows = try await CaseStore(db: db).recent(since: plan.since)
            state.withLockedValue { s in
                for r in rows { Self.add(&s, r.categoryCode, Entry(id: r.id, number: r.number, position: r.position, reportedAt: r.reportedAt)) }
                // Drop what has left the window.
                let cutoff = now.addingTimeInterval(-rule.window)
                for (k, cell) in s.cells where cell.last.map({ $0.reportedAt < cutoff }) == true {
                    let kept = cell.filter { $0.reportedAt >= cutoff }
                    s.cells[k] = kept.isEmpty ? nil : kept
                }
                s.loaded = true
                s.refreshing = false
                s.refreshedAt = .now
            }
        } catch {
            state.withLockedValue { $0.refreshing = false }
            if plan.first { throw error }
        }
    }
}

import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import NIOConcurrencyHelpers

/// The reports of the last 48 hours by category and ~100 m cell, in memory, for the duplicate check on every
/// intake (a database query there cost about a fifth of the intake rate). Filled from the database on first use,
/// then with this instance's own reports as they commit, and every `refresh` with what other writers stored. Case
/// numbers are given out in commit order from one counter per year, so the index knows which numbers it has seen:
/// a refresh reads the counters and loads only the numbers in between (none when this instance is the only
/// writer). Before, it re-read every report of the last minute each time, which under load was a stall of
/// hundreds of thousands of rows. Each cell keeps its newest 32 reports: a duplicate of something older in a busy
/// cell is a duplicate of one of those too.
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
        var loaded = false
        var refreshing = false
        var refreshedAt: ContinuousClock.Instant?
        /// Per year: every number up to this one has been added (or was not wanted: rejected, out of the window).
        var knownThrough: [Int: Int] = [:]
        /// Per year: numbers above `knownThrough` added by this instance.
        var knownAbove: [Int: Set<Int>] = [:]
        /// Refreshes that had to read rows (for tests and /metrics-style checks).
        var rowLoads = 0
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
            for (category, entry) in items {
                Self.add(&s, category, entry)
                if let n = CaseNumber.parse(entry.number) { Self.learn(&s, year: n.year, n.sequence) }
            }
        }
    }

    /// How many refreshes had to read rows from the database.
    var rowLoads: Int { state.withLockedValue { $0.rowLoads } }

    private static func learn(_ s: inout State, year: Int, _ sequence: Int) {
        let through = s.knownThrough[year] ?? 0
        guard sequence > through else { return }
        var above = s.knownAbove.removeValue(forKey: year) ?? []
        above.insert(sequence)
        advance(&s, year: year, through: through, above: above)
    }

    /// Moves `knownThrough` over the numbers just above it that are known (`above` holds only numbers above
    /// `through`).
    private static func advance(_ s: inout State, year: Int, through: Int, above: Set<Int>) {
        var through = through, above = above
        while above.remove(through + 1) != nil { through += 1 }
        s.knownThrough[year] = through
        s.knownAbove[year] = above.isEmpty ? nil : above
    }

    private static func add(_ s: inout State, _ category: String, _ entry: Entry) {
        let k = key(category, entry.position)
        var cell = s.cells[k] ?? []
        guard !cell.contains(where: { $0.id == entry.id }) else { return }
        // Newest first; a new report nearly always goes in front, so no sort.
        cell.insert(entry, at: cell.firstIndex { $0.reportedAt <= entry.reportedAt } ?? cell.count)
        if cell.count > perCell { cell.removeLast(cell.count - perCell) }
        s.cells[k] = cell
    }

    /// The nearest report of the same category within the rule's radius and window, if any.
    func nearest(category: String, at p: GeoPoint, now: Date, db: @autoclosure () -> any Database) async throws -> Entry? {
        try await nearby(category: category, at: p, now: now, db: db(), limit: 1).first?.entry
    }

    /// Reports of the same category within the rule's radius and window, nearest first (shown to a resident before
    /// submitting: "already reported, follow it instead?").
    func nearby(category: String, at p: GeoPoint, now: Date, db: @autoclosure () -> any Database, limit: Int = 5) async throws -> [(entry: Entry, metres: Double)] {
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

    private func refreshIfDue(_ db: () -> any Database, now: Date) async throws {
        let refresh = self.refresh
        let plan: (first: Bool, through: [Int: Int], above: [Int: Set<Int>])? = state.withLockedValue { s in
            guard !s.refreshing else { return nil }
            if s.loaded, let at = s.refreshedAt, ContinuousClock.now - at < refresh { return nil }
            s.refreshing = true
            return (!s.loaded, s.knownThrough, s.knownAbove)
        }
        guard let plan else { return }
        let since = now.addingTimeInterval(-rule.window)
        do {
            let store = CaseStore(db: db())
            // Read first: every number up to these was committed before the rows below are read.
            let counters = try await store.numberCounters()
            var rows: [CaseStore.RecentCase] = []
            if plan.first {
                rows = try await store.recent(since: since)
            } else {
                for (year, last) in counters.sorted(by: { $0.key < $1.key }) {
                    for range in Self.unknown(through: plan.through[year] ?? 0, last: last, above: plan.above[year] ?? []) {
                        for t in CaseNumber.textRanges(year: year, range) {
                            rows += try await store.recent(numbersFrom: t.from, to: t.to, length: t.length, since: since)
                        }
                    }
                }
            }
            state.withLockedValue { s in
                for r in rows { Self.add(&s, r.categoryCode, Entry(id: r.id, number: r.number, position: r.position, reportedAt: r.reportedAt)) }
                for (year, last) in counters where last > s.knownThrough[year] ?? 0 {
                    Self.advance(&s, year: year, through: last, above: (s.knownAbove[year] ?? []).filter { $0 > last })
                }
                // Drop what has left the window.
                for (k, cell) in s.cells where cell.last.map({ $0.reportedAt < since }) == true {
                    let kept = cell.filter { $0.reportedAt >= since }
                    s.cells[k] = kept.isEmpty ? nil : kept
                }
                if plan.first || !rows.isEmpty { s.rowLoads += 1 }
                s.loaded = true
                s.refreshing = false
                s.refreshedAt = .now
            }
        } catch {
            state.withLockedValue { $0.refreshing = false }
            if plan.first { throw error }
        }
    }

    /// The numbers in (through, last] not among `above`, as ranges; past a handful of gaps (several busy writers),
    /// one range for all of them (what this instance already has is skipped by id when added).
    static func unknown(through: Int, last: Int, above: Set<Int>) -> [ClosedRange<Int>] {
        guard last > through else { return [] }
        var ranges: [ClosedRange<Int>] = []
        var start: Int?
        for n in (through + 1)...last {
            if above.contains(n) {
                if let st = start { ranges.append(st...(n - 1)); start = nil }
            } else if start == nil {
                start = n
            }
        }
        if let st = start { ranges.append(st...last) }
        return ranges.count > 16 ? [(through + 1)...last] : ranges
    }
}

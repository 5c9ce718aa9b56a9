import CityStewardCore
import CityStewardStore
import Foundation
import Synchronization
import Vapor

/// The oversight dashboard (issue 19 §7): over the caller's scope — the district for the district office and auditors,
/// a street for its office, a steward's villages and cases, a department's matters — the cases open and overdue now,
/// the last twelve months (reported, closed, closed by the deadline), residents' satisfaction, and the cases per
/// street (or village) and per class. Figures now come from the tallies the database keeps; the months are counted
/// on the cases. One use case for the console and the API.
struct DashboardService {
    let req: Request

    struct Month {
        var month: LedgerMonth
        var reported: Int
        var closed: Int
        var closedOnTime: Int
        var onTimeRate: Double?
    }

    struct Figures {
        var scope: String
        var asOf: Date
        var open: Int
        var overdue: Int
        var total: Int
        var months: [Month]
        var reported12: Int
        var closed12: Int
        var closedOnTime12: Int
        var ratings: RatingFigures
        /// Streets for the whole district, villages otherwise.
        var areaLevel: AreaKind
        var byArea: [DashboardCount]
        var byCategory: [DashboardCount]

        var onTimeRate: Double? { DashboardFigures.rate(closedOnTime12, of: closed12) }
        var closureRate: Double? { DashboardFigures.rate(closed12, of: reported12) }
        var satisfiedShare: Double? { DashboardFigures.rate(ratings.satisfied, of: ratings.ratings) }
        var meanRating: Double? { ratings.ratings == 0 ? nil : (Double(ratings.sum) / Double(ratings.ratings) * 100).rounded() / 100 }
    }

    /// A street, steward or department the caller chose to look at, with its name for the heading.
    struct Chosen {
        var choice: DashboardChoice
        var name: String
    }

    /// The caller's own scope, or `chosen` (for those who see every case; 403 for the others).
    func figures(chosen: Chosen? = nil) async throws -> Figures {
        let actor = try req.requireActor()
        guard DashboardAccess.mayView(actor) else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看监督看板", en: "not allowed to see the oversight dashboard"))
        }
        guard let scope = DashboardAccess.scope(for: actor, chosen: chosen?.choice) else {
            throw DomainError.forbidden(LocalizedText(zh: "只能查看本单位范围的看板", en: "the dashboard shows your own scope only"))
        }
        // A snapshot per scope and language for a few seconds (its `asOf` says when): a district's oversight screens
        // are opened by many at once, and the figures are the same for all of them.
        let key = "\(scope)|\(req.language)|\(chosen?.name ?? actor.org?.id.uuidString ?? "")"
        if let cached = req.application.dashboardCache.get(key, now: req.now) { return cached }
        let figures = try await compute(scope, actor: actor, label: chosen?.name)
        req.application.dashboardCache.put(key, figures, now: req.now)
        return figures
    }

    private func compute(_ scope: CaseScope, actor: Actor, label chosenLabel: String?) async throws -> Figures {
        let now = req.now, language = req.language
        let reference = try await req.caseReference()
        let store = CaseStore(db: req.db)
        // The twelve months up to this one, Beijing.
        let this = LedgerMonth(LocalDate.beijing(now))
        var first = this
        for _ in 0..<11 { first = first.previous }
        var monthsList: [LedgerMonth] = [first]
        while monthsList.count < 12 { monthsList.append(monthsList.last!.next) }
        let keys = monthsList.map { String(format: "%04d-%02d", $0.year, $0.month) }
        let figures = try await store.months(scope: scope, months: keys)
        let months = zip(monthsList, keys).map { m, key in
            let f = figures[key]?.0 ?? CaseMonthFigures(reported: 0, closed: 0, closedOnTime: 0)
            return Month(month: m, reported: f.reported, closed: f.closed, closedOnTime: f.closedOnTime, onTimeRate: DashboardFigures.rate(f.closedOnTime, of: f.closed))
        }
        let ratings = figures.values.reduce(RatingFigures(ratings: 0, sum: 0, satisfied: 0)) {
            RatingFigures(ratings: $0.ratings + $1.1.ratings, sum: $0.sum + $1.1.sum, satisfied: $0.satisfied + $1.1.satisfied)
        }
        let counts = try await store.counts(scope: scope, now: now)
        let tallies = try await store.tallies(scope: scope)
        let everything: Bool = if case .everything = scope { true } else { false }
        let level: AreaKind = everything ? .street : .village
        var pathLevel: [String: Area?] = [:]
        func area(of path: String) -> Area? {
            if let known = pathLevel[path] { return known }
            let found = Area.decodePath(path).lazy.compactMap { reference.areas[$0] }.first { $0.kind == level }
            pathLevel[path] = found
            return found
        }
        let byArea = DashboardFigures.breakdown(tallies.map { t in
            let a = area(of: t.areaPath)
            return (a?.code ?? "—", a?.displayName(language) ?? (language == .en ? "elsewhere" : "其他"), t.state, t.count)
        })
        let names = Dictionary(reference.taxonomy.categories.map { ($0.code, $0.displayName(language)) }, uniquingKeysWith: { a, _ in a })
        let byCategory = DashboardFigures.breakdown(tallies.map { ($0.categoryCode, names[$0.categoryCode] ?? $0.categoryCode, $0.state, $0.count) })
        let label: String = chosenLabel ?? (everything ? (reference.district?.displayName(language) ?? (language == .en ? "Longhua District" : "龙华区"))
            : actor.org?.displayName(language) ?? actor.user.displayName)
        return Figures(scope: label, asOf: now, open: CaseState.open.compactMap { counts.byState[$0] }.reduce(0, +), overdue: counts.overdue,
                       total: counts.byState.values.reduce(0, +), months: months, reported12: months.reduce(0) { $0 + $1.reported },
                       closed12: months.reduce(0) { $0 + $1.closed }, closedOnTime12: months.reduce(0) { $0 + $1.closedOnTime }, ratings: ratings,
                       areaLevel: level, byArea: byArea, byCategory: Array(byCategory.prefix(10)))
    }
}

/// The dashboard's snapshots by scope and language, each fresh for `ttl` seconds. When one has aged, the first request
/// computes it anew while the others are answered with the one they had, so a crowd of readers never recomputes it
/// all at once (measured: 16 readers missing together made the console's p99 a second).
final class DashboardCache: Sendable {
    static let ttl: TimeInterval = 15
    private struct Entry { var at: Date; var figures: DashboardService.Figures; var refreshing: Bool }
    private let entries = Mutex<[String: Entry]>([:])

    /// The snapshot to answer with, or nil when this caller is to compute it (and then `put` it).
    func get(_ key: String, now: Date) -> DashboardService.Figures? {
        entries.withLock { e in
            guard let hit = e[key] else { return nil }
            if now >= hit.at, now.timeIntervalSince(hit.at) < Self.ttl { return hit.figures }
            if hit.refreshing, now.timeIntervalSince(hit.at) < 4 * Self.ttl { return hit.figures }
            e[key]?.refreshing = true
            return nil
        }
    }

    func put(_ key: String, _ figures: DashboardService.Figures, now: Date) {
        entries.withLock { e in
            // Stale snapshots go as new ones come; there are as many as scopes in use.
            if e.count > 1_000 { e = e.filter { now.timeIntervalSince($0.value.at) < Self.ttl } }
            e[key] = Entry(at: now, figures: figures, refreshing: false)
        }
    }
}

extension Application {
    private struct DashboardCacheKey: StorageKey { typealias Value = DashboardCache }
    var dashboardCache: DashboardCache {
        get { storage[DashboardCacheKey.self]! }
        set { storage[DashboardCacheKey.self] = newValue }
    }
}

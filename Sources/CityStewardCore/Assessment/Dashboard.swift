import Foundation

/// Who sees the oversight dashboard (issue 19 §7): staff who read cases, each over the cases their scope covers —
/// the district office and auditors everywhere, a street office its street, a steward its villages and cases, a
/// department its matters. Residents, data consumers and keys narrowed to reporting do not.
public enum DashboardAccess {
    public static func mayView(_ actor: Actor) -> Bool {
        guard actor.can(.casesRead), CaseAccess.mayList(actor) else { return false }
        switch actor.role {
        case .resident, .dataConsumer: return false
        case .districtAdmin, .auditor, .streetOfficer, .departmentOfficer, .stewardDispatcher, .stewardStaff: return true
        }
    }
}

/// One street's, steward's or department's cases, as those who see the whole district may choose to look at them.
public enum DashboardChoice: Sendable, Equatable {
    /// A street: the cases in it and those routed to its office (as its office sees them).
    case street(UUID, office: UUID?)
    /// A steward: the cases routed to it and those in the areas it serves (as its own staff see them).
    case steward(UUID, areas: [UUID])
    /// A department: its matters everywhere (谁委托谁监管, as its own officers see them).
    case department(UUID)
}

extension DashboardAccess {
    /// Whether the caller may look at another scope than its own: those who see every case.
    public static func mayChoose(_ actor: Actor) -> Bool {
        guard mayView(actor), case .everything = CaseAccess.scope(for: actor) else { return false }
        return true
    }

    /// The cases a dashboard counts: the caller's own scope, or the chosen one when it may choose (nil: it may not).
    public static func scope(for actor: Actor, chosen: DashboardChoice?) -> CaseScope? {
        guard let chosen else { return CaseAccess.scope(for: actor) }
        guard mayChoose(actor) else { return nil }
        switch chosen {
        case .street(let id, let office): return .limited(areas: [id], orgs: office.map { [$0] } ?? [], departments: [], reporter: nil)
        case .steward(let id, let areas): return .limited(areas: areas, orgs: [id], departments: [], reporter: nil)
        case .department(let id): return .limited(areas: [], orgs: [id], departments: [id], reporter: nil)
        }
    }
}

/// One row of a breakdown: cases open now and in all.
public struct DashboardCount: Sendable, Equatable {
    public var key: String
    public var label: String
    public var open: Int
    public var total: Int

    public init(key: String, label: String, open: Int, total: Int) {
        (self.key, self.label, self.open, self.total) = (key, label, open, total)
    }
}

public enum DashboardFigures {
    /// Per cent to one decimal; nil when there is nothing to divide.
    public static func rate(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10
    }

    /// Sums counts by a key, open (not final) and all, largest first.
    public static func breakdown(_ rows: [(key: String, label: String, state: CaseState, count: Int)]) -> [DashboardCount] {
        var out: [String: DashboardCount] = [:]
        for r in rows {
            var c = out[r.key] ?? DashboardCount(key: r.key, label: r.label, open: 0, total: 0)
            c.total += r.count
            if !r.state.isFinal { c.open += r.count }
            out[r.key] = c
        }
        return out.values.sorted { ($0.total, $0.open, $1.key) > ($1.total, $1.open, $0.key) }
    }
}

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

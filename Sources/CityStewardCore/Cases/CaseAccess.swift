import Foundation

/// The parties of one case that access decisions look at.
public struct CaseParties: Sendable, Equatable {
    public var responsibleID: UUID
    /// The located area's path, district first (grid or the deepest area found).
    public var areaPath: [UUID]
    public var ownerDepartmentID: UUID?
    public var reporterID: UUID?
    public var handledBy: UUID?

    public init(responsibleID: UUID, areaPath: [UUID], ownerDepartmentID: UUID?, reporterID: UUID?, handledBy: UUID?) {
        self.responsibleID = responsibleID
        self.areaPath = areaPath
        self.ownerDepartmentID = ownerDepartmentID
        self.reporterID = reporterID
        self.handledBy = handledBy
    }
}

/// Which cases a caller may list: the store turns it into the WHERE clause of every case query.
public enum CaseScope: Sendable, Equatable {
    case everything
    /// Cases located under any of `areas`, or routed to one of `orgs`, or owned by one of `departments`, or
    /// reported by `reporter`.
    case limited(areas: [UUID], orgs: [UUID], departments: [UUID], reporter: UUID?)

    public static let nothing = CaseScope.limited(areas: [], orgs: [], departments: [], reporter: nil)
}

/// Case access decisions, in one place (DESIGN §6): who sees which cases, and in what capacity one acts on a case.
public enum CaseAccess {
    public static func scope(for actor: Actor) -> CaseScope {
        guard actor.can(.casesRead) else {
            // A reporting-only credential (a device key, a resident) sees what it reported.
            return actor.can(.casesReport) ? .limited(areas: [], orgs: [], departments: [], reporter: actor.user.id) : .nothing
        }
        let org = actor.org.map { [$0.id] } ?? []
        switch actor.role {
        case .districtAdmin, .auditor:
            return .everything
        case .streetOfficer, .stewardDispatcher, .stewardStaff:
            return .limited(areas: actor.orgAreas, orgs: org, departments: [], reporter: actor.user.id)
        case .departmentOfficer:
            // 谁委托谁监管: a department supervises the matters it owns in every street.
            return .limited(areas: [], orgs: org, departments: org, reporter: actor.user.id)
        case .resident, .dataConsumer:
            return .limited(areas: [], orgs: [], departments: [], reporter: actor.user.id)
        }
    }

    public static func canSee(_ actor: Actor, _ parties: CaseParties) -> Bool {
        switch scope(for: actor) {
        case .everything: return true
        case .limited(let areas, let orgs, let departments, let reporter):
            return areas.contains { parties.areaPath.contains($0) } || orgs.contains(parties.responsibleID)
                || parties.ownerDepartmentID.map(departments.contains) == true || (reporter != nil && parties.reporterID == reporter)
        }
    }

    /// The capacities the actor acts in on this case (empty: may only look, or not even that).
    public static func capacities(of actor: Actor, on parties: CaseParties) -> Set<CaseCapacity> {
        guard actor.can(.casesWork) else { return [] }
        let inArea = actor.orgAreas.contains { parties.areaPath.contains($0) }
        let ownOrg = actor.org?.id == parties.responsibleID
        var out: Set<CaseCapacity> = []
        switch actor.role {
        case .districtAdmin:
            out = [.dispatcher, .approver, .verifier, .supervisor]
        case .streetOfficer:
            if inArea { out = [.dispatcher, .approver, .verifier] }
        case .stewardDispatcher:
            if inArea { out = [.dispatcher, .approver, .verifier] }
        case .stewardStaff:
            // A patroller checks others' work in the villages, never their own (核查 by someone else).
            if inArea, parties.handledBy != actor.user.id { out.insert(.verifier) }
        case .departmentOfficer, .auditor, .resident, .dataConsumer:
            break
        }
        if ownOrg, [.streetOfficer, .departmentOfficer, .stewardDispatcher, .stewardStaff].contains(actor.role) { out.insert(.handler) }
        return out
    }
}

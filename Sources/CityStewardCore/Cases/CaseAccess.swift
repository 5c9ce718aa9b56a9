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
    /// Whether the caller may list cases at all: staff who read cases, and a resident signed in (its own reports).
    /// A key narrowed to `cases:report` (a camera's, a partner's bridge) only reports: the user it belongs to may
    /// have reported thousands of cases, and the key is not that user.
    public static func mayList(_ actor: Actor) -> Bool {
        actor.can(.casesRead) || (actor.keyScopes == nil && actor.can(.casesReport))
    }

    public static func scope(for actor: Actor) -> CaseScope {
        guard actor.can(.casesRead) else {
            // A resident signed in sees what it reported; a reporting-only key sees nothing (see `mayList`).
            return mayList(actor) ? .limited(areas: [], orgs: [], departments: [], reporter: actor.user.id) : .nothing
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

    /// Whether an intake answer may name the nearby case it duplicates. That case lies within metres of the new
    /// one with the same category, so it has the same place and responsible party: the caller may open it when its
    /// areas, organisation or department cover the new case — not merely because it reported the new one.
    public static func mayNameNearbyCase(_ actor: Actor, _ newCase: @autoclosure () -> CaseParties) -> Bool {
        // Without cases:read nothing but one's own reports is visible: no need to look at the place (the intake asks
        // this on every report near another one).
        guard actor.can(.casesRead) else { return false }
        var placeOnly = newCase()
        placeOnly.reporterID = nil
        return canSee(actor, placeOnly)
    }

    /// The sources a caller may give its report (sources are counted in the assessment, so a resident cannot
    /// claim a patrol find); the first is the default. Device alerts come only through the device endpoints.
    public static func sources(for actor: Actor) -> [CaseSource] {
        guard actor.can(.casesReport) else { return [] }
        switch actor.role {
        case .resident:
            return residentSources
        case .stewardStaff, .stewardDispatcher, .streetOfficer, .departmentOfficer, .districtAdmin:
            // A partner system's key reports as `api` unless it says otherwise (the 12345 bridge says `hotline`).
            return actor.keyScopes == nil ? staffSources : keySources
        case .auditor, .dataConsumer:
            return apiOnly
        }
    }

    /// The staff's patrol form records its reports as found on patrol (巡查发现): only for those whose reports may
    /// carry that source, never a resident's.
    public static func mayPatrol(_ actor: Actor) -> Bool {
        sources(for: actor).contains(.patrol) && actor.keyScopes == nil
    }

    /// Where a signed-in user's console starts: line staff on their task list (the phone in the field).
    public static func startsOnTasks(_ actor: Actor) -> Bool {
        actor.role == .stewardStaff
    }

    // Made once: this runs on every intake.
    private static let residentSources: [CaseSource] = [.resident]
    private static let staffSources: [CaseSource] = [.patrol, .api, .hotline]
    private static let keySources: [CaseSource] = [.api, .patrol, .hotline]
    private static let apiOnly: [CaseSource] = [.api]

    /// Whether a device alert may be raised for a registered device located at `deviceAreaPath`: the caller reports
    /// cases and the device is in the caller's areas (the district office: anywhere).
    public static func mayRaiseAlert(_ actor: Actor, deviceAreaPath: [UUID]) -> Bool {
        guard actor.can(.casesReport) else { return false }
        switch actor.role {
        case .districtAdmin: return true
        case .streetOfficer, .stewardDispatcher, .stewardStaff: return actor.orgAreas.contains { deviceAreaPath.contains($0) }
        case .departmentOfficer, .resident, .dataConsumer, .auditor: return false
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

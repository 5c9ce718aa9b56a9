import Foundation

/// Which contracts a caller may see, decided in one place: the district office, auditors and the delegating
/// departments (谁委托谁监管) see all; a street office its street's; a steward the ones it is party to.
public enum ContractScope: Sendable, Equatable {
    case all
    case streets([UUID])
    case steward(UUID)
    case nothing
}

public enum ContractAccess {
    public static func scope(for actor: Actor) -> ContractScope {
        guard actor.can(.contractsRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .auditor, .departmentOfficer: return .all
        case .streetOfficer: return .streets(actor.orgAreas)
        case .stewardDispatcher, .stewardStaff: return actor.org.map { .steward($0.id) } ?? .nothing
        case .resident, .dataConsumer: return .nothing
        }
    }

    public static func includes(_ scope: ContractScope, streetID: UUID, stewardID: UUID) -> Bool {
        switch scope {
        case .all: true
        case .streets(let ids): ids.contains(streetID)
        case .steward(let id): id == stewardID
        case .nothing: false
        }
    }

    /// Changing a contract: its own street office, or the district office.
    public static func mayManage(_ actor: Actor, streetID: UUID) -> Bool {
        guard actor.can(.contractsManage) else { return false }
        return actor.role == .districtAdmin || (actor.role == .streetOfficer && actor.orgAreas.contains(streetID))
    }

    /// The steward's countersignature on a contract under review: a dispatcher of that steward.
    public static func mayCountersign(_ actor: Actor, stewardID: UUID) -> Bool {
        actor.can(.contractsRead) && actor.role == .stewardDispatcher && actor.org?.id == stewardID
    }

    /// A street's own list of entrusted matters: whoever reads that street's contracts, and the stewards, who take
    /// them on (the lists are what the streets offer, not a secret of either party).
    public static func mayReadMatterList(_ actor: Actor, streetID: UUID) -> Bool {
        switch scope(for: actor) {
        case .all, .steward: true
        case .streets(let ids): ids.contains(streetID)
        case .nothing: false
        }
    }

    /// The matter catalog (可委托事项清单: matters, owners, limits, the beyond-authority flag) and its benchmark prices
    /// (行业管养单价) are the district office's.
    public static func maySetPrices(_ actor: Actor) -> Bool {
        actor.can(.contractsManage) && actor.role == .districtAdmin
    }
}

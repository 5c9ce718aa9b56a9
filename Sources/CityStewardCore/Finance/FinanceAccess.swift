import Foundation

/// What a caller may do with money (plan §7(3), §9(2)), decided in one place. Village scope is the area scope
/// (`AccessPolicy.areaScope`); this adds who may do which step.
public enum FinanceAction: String, Sendable, CaseIterable {
    case read
    /// Bills, ledger entries, fee payments, closing a month.
    case manage
    /// Ask for a policy subsidy (政策补贴): the steward, or the district office on its behalf.
    case requestPolicySubsidy
    /// Decide a policy subsidy: the district office.
    case decidePolicySubsidy
    /// Confirm a village's introduction subsidy (引入服务补贴认定): its street office, or the district office.
    case confirmIntroductionSubsidy
}

public enum FinanceAccess {
    /// Whether the caller may ever do `action`, before any record is looked up: one who never may gets 403 without
    /// learning whether the record exists.
    public static func mayEver(_ action: FinanceAction, _ actor: Actor) -> Bool {
        switch action {
        case .read: actor.can(.financeRead)
        case .manage: actor.can(.financeManage)
        case .requestPolicySubsidy: actor.can(.financeManage) && [.stewardDispatcher, .districtAdmin].contains(actor.role)
        case .decidePolicySubsidy: actor.can(.subsidiesDecide)
        case .confirmIntroductionSubsidy: actor.can(.financeManage) && actor.can(.contractsManage) && [.streetOfficer, .districtAdmin].contains(actor.role)
        }
    }

    /// Whether the caller may do `action` for a village of the street `streetID` (already in its area scope).
    public static func may(_ action: FinanceAction, _ actor: Actor, streetID: UUID) -> Bool {
        guard mayEver(action, actor) else { return false }
        switch action {
        case .confirmIntroductionSubsidy: return ContractAccess.mayManage(actor, streetID: streetID)
        case .read, .manage, .requestPolicySubsidy, .decidePolicySubsidy: return true
        }
    }

    /// Either kind of subsidy decision: the first check of the decision endpoint.
    public static func mayDecideAnySubsidy(_ actor: Actor) -> Bool {
        mayEver(.decidePolicySubsidy, actor) || mayEver(.confirmIntroductionSubsidy, actor)
    }
}

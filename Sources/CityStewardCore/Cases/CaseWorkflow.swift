import Foundation

/// The states of a case (数字城管 practice, GB/T 30428; DESIGN §5).
public enum CaseState: String, Sendable, Codable, CaseIterable {
    case reported      // 上报
    case filed         // 立案
    case dispatched    // 派遣
    case accepted      // 签收
    case handled       // 处置完成
    case verified      // 核查通过
    case closed        // 结案
    case rejected      // 作废 (not a valid case)
    case returned      // 回退 (dispatched to the wrong party)
    case reworked      // 返工 (verification failed)
    case suspended     // 挂账 (waiting on a third party; clock stopped)

    public var label: LocalizedText {
        switch self {
        case .reported: LocalizedText(zh: "已上报", en: "Reported")
        case .filed: LocalizedText(zh: "已立案", en: "Filed")
        case .dispatched: LocalizedText(zh: "已派遣", en: "Dispatched")
        case .accepted: LocalizedText(zh: "处置中", en: "Accepted")
        case .handled: LocalizedText(zh: "待核查", en: "Handled")
        case .verified: LocalizedText(zh: "核查通过", en: "Verified")
        case .closed: LocalizedText(zh: "已结案", en: "Closed")
        case .rejected: LocalizedText(zh: "已作废", en: "Rejected")
        case .returned: LocalizedText(zh: "已回退", en: "Returned")
        case .reworked: LocalizedText(zh: "返工", en: "Rework")
        case .suspended: LocalizedText(zh: "挂账", en: "Suspended")
        }
    }

    /// Final states: nothing moves a case out of them (a resident's reopening creates a new step in issue 4).
    public var isFinal: Bool { self == .closed || self == .rejected }

    /// The deadline clock runs only while someone owes work on the case.
    public var clockRuns: Bool { [.filed, .dispatched, .accepted, .returned, .reworked].contains(self) }
}

/// Who acts on a case, relative to it.
public enum CaseCapacity: String, Sendable, Codable {
    /// The dispatch centre that triages and dispatches (the steward's dispatcher, a street office, the district office).
    case dispatcher
    /// The party the case is routed to (its staff).
    case handler
    /// Who checks the result (a dispatcher or a patroller other than the handler).
    case verifier
    /// The approver of suspensions and postponements (dispatcher or street office).
    case approver
}

/// The actions of the workflow, each with the states it leaves from, the state it reaches and who may take it.
public enum CaseAction: String, Sendable, Codable, CaseIterable {
    case file, reject, dispatch, accept, returnCase = "return", handle, selfHandle, passVerification, failVerification,
         close, suspend, resume

    public var from: Set<CaseState> {
        switch self {
        case .file, .reject: [.reported]
        case .dispatch: [.filed, .returned]
        case .accept: [.dispatched]
        case .returnCase: [.dispatched, .accepted]
        case .handle: [.accepted, .reworked]
        case .selfHandle: [.reported]
        case .passVerification, .failVerification: [.handled]
        case .close: [.verified]
        case .suspend: [.dispatched, .accepted, .reworked]
        case .resume: [.suspended]
        }
    }

    public var to: CaseState {
        switch self {
        case .file: .filed
        case .reject: .rejected
        case .dispatch: .dispatched
        case .accept: .accepted
        case .returnCase: .returned
        case .handle, .selfHandle: .handled
        case .passVerification: .verified
        case .failVerification: .reworked
        case .close: .closed
        case .suspend: .suspended
        case .resume: .accepted
        }
    }

    public var capacities: Set<CaseCapacity> {
        switch self {
        case .file, .reject, .dispatch, .close: [.dispatcher]
        case .accept, .returnCase, .handle, .selfHandle: [.handler]
        case .passVerification, .failVerification: [.verifier, .dispatcher]
        case .suspend, .resume: [.approver]
        }
    }

    /// Actions that need a written reason.
    public var needsNote: Bool { [.reject, .returnCase, .failVerification, .suspend].contains(self) }
}

/// The state machine: pure, so every rule is tested without a database.
public enum CaseWorkflow {
    /// The state after `action`, or the reason it is not allowed now.
    public static func apply(_ action: CaseAction, to state: CaseState, as capacities: Set<CaseCapacity>, note: String?) throws(DomainError) -> CaseState {
        guard action.from.contains(state) else {
            throw .conflict(LocalizedText(zh: "案件当前为“\(state.label.zh)”，不能执行此操作", en: "the case is \(state.label.en.lowercased()); \(action.rawValue) is not possible now"))
        }
        guard !action.capacities.isDisjoint(with: capacities) else {
            throw .forbidden(LocalizedText(zh: "您不能对该案件执行此操作", en: "you may not \(action.rawValue) this case"))
        }
        if action.needsNote, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .invalid(field: "note", LocalizedText(zh: "请填写原因", en: "a reason is required"))
        }
        return action.to
    }

    /// The actions open to someone acting in these capacities in this state (the console shows only these).
    public static func available(in state: CaseState, as capacities: Set<CaseCapacity>) -> [CaseAction] {
        CaseAction.allCases.filter { $0.from.contains(state) && !$0.capacities.isDisjoint(with: capacities) }
    }
}

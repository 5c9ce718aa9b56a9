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

    /// Final states: only the reporter's reopening (once, within 7 days of closure) moves a case out of `closed`.
    public var isFinal: Bool { self == .closed || self == .rejected }

    /// The disposal clock runs only while the responsible party owes work on the case.
    public var clockRuns: Bool { [.filed, .dispatched, .accepted, .returned, .reworked].contains(self) }

    /// States in which the responsible party owes the disposal (the disposal deadline is the step's due time).
    public var awaitsDisposal: Bool { [.dispatched, .accepted, .reworked].contains(self) }

    /// States still open (for queues and the overdue sweep).
    public static let open: [CaseState] = allCases.filter { !$0.isFinal }
}

/// Who acts on a case, relative to it.
public enum CaseCapacity: String, Sendable, Codable, CaseIterable {
    /// The dispatch centre that triages and dispatches (the steward's dispatcher, a street office, the district office).
    case dispatcher
    /// The party the case is routed to (its staff).
    case handler
    /// Who checks the result (a dispatcher, or a patroller other than the one who handled it).
    case verifier
    /// The approver of suspensions and postponements (dispatcher or street office).
    case approver
    /// The district office, which may put a case under supervision (督办).
    case supervisor
    /// Whoever reported the case (a resident holding its tracking link): may reopen it once after closure.
    case reporter
}

/// A request waiting for the approver.
public enum PendingRequest: String, Sendable, Codable {
    case postpone   // 延期
    case suspend    // 挂账

    public var label: LocalizedText {
        self == .postpone ? LocalizedText(zh: "延期申请", en: "Postponement request") : LocalizedText(zh: "挂账申请", en: "Suspension request")
    }
}

/// The actions of the workflow, each with the states it leaves from, the state it reaches and who may take it.
public enum CaseAction: String, Sendable, Codable, CaseIterable {
    case file, reject, merge, dispatch, accept, returnCase = "return", handle, selfHandle, passVerification, failVerification,
         close, requestPostpone, approvePostpone, requestSuspend, suspend, denyRequest, resume, supervise, reopen

    public var from: Set<CaseState> {
        switch self {
        case .file, .reject: [.reported]
        case .merge: [.reported, .filed]
        case .dispatch: [.filed, .returned]
        case .accept: [.dispatched]
        case .returnCase: [.dispatched, .accepted]
        case .handle: [.accepted, .reworked]
        case .selfHandle: [.reported]
        case .passVerification, .failVerification: [.handled]
        case .close: [.verified]
        case .requestPostpone, .requestSuspend, .approvePostpone, .suspend, .denyRequest: [.dispatched, .accepted, .reworked]
        case .resume: [.suspended]
        case .supervise: Set(CaseState.open)
        case .reopen: [.closed]
        }
    }

    /// The state reached; nil when the action leaves the state as it is (a request, an approval of a postponement).
    public var to: CaseState? {
        switch self {
        case .file: .filed
        case .reject, .merge: .rejected
        case .dispatch: .dispatched
        case .accept: .accepted
        case .returnCase: .returned
        case .handle, .selfHandle: .handled
        case .passVerification: .verified
        case .failVerification: .reworked
        case .close: .closed
        case .reopen: .dispatched   // back to the same responsible party, with a fresh deadline
        case .suspend: .suspended
        case .resume: nil   // back to where it was suspended from
        case .requestPostpone, .approvePostpone, .requestSuspend, .denyRequest, .supervise: nil
        }
    }

    public var capacities: Set<CaseCapacity> {
        switch self {
        case .file, .reject, .merge, .dispatch, .close: [.dispatcher]
        case .accept, .returnCase, .handle, .selfHandle, .requestPostpone, .requestSuspend: [.handler]
        case .passVerification, .failVerification: [.verifier, .dispatcher]
        case .approvePostpone, .suspend, .denyRequest, .resume: [.approver]
        case .supervise: [.supervisor]
        case .reopen: [.reporter]
        }
    }

    /// Actions that need a written reason.
    public var needsNote: Bool {
        [.reject, .merge, .returnCase, .failVerification, .requestPostpone, .requestSuspend, .suspend, .denyRequest, .supervise,
         .reopen].contains(self)
    }

    public var label: LocalizedText {
        switch self {
        case .file: LocalizedText(zh: "立案", en: "File")
        case .reject: LocalizedText(zh: "作废", en: "Reject")
        case .merge: LocalizedText(zh: "合并为重复案件", en: "Merge as duplicate")
        case .dispatch: LocalizedText(zh: "派遣", en: "Dispatch")
        case .accept: LocalizedText(zh: "签收", en: "Accept")
        case .returnCase: LocalizedText(zh: "申请回退", en: "Return (wrong party)")
        case .handle: LocalizedText(zh: "处置完成", en: "Mark handled")
        case .selfHandle: LocalizedText(zh: "现场自处置", en: "Handled on the spot")
        case .passVerification: LocalizedText(zh: "核查通过", en: "Verification passed")
        case .failVerification: LocalizedText(zh: "核查不通过（返工）", en: "Verification failed (rework)")
        case .close: LocalizedText(zh: "结案", en: "Close")
        case .requestPostpone: LocalizedText(zh: "申请延期", en: "Request postponement")
        case .approvePostpone: LocalizedText(zh: "批准延期", en: "Approve postponement")
        case .requestSuspend: LocalizedText(zh: "申请挂账", en: "Request suspension")
        case .suspend: LocalizedText(zh: "批准挂账", en: "Suspend")
        case .denyRequest: LocalizedText(zh: "驳回申请", en: "Deny request")
        case .resume: LocalizedText(zh: "恢复办理", en: "Resume")
        case .supervise: LocalizedText(zh: "督办", en: "Supervise (督办)")
        case .reopen: LocalizedText(zh: "重新办理（报告人不满意）", en: "Reopen (the reporter is not satisfied)")
        }
    }
}

/// What the workflow needs to know of a case to decide an action.
public struct CaseSnapshot: Sendable, Equatable {
    public var state: CaseState
    public var urgency: Urgency
    public var reportedAt: Date
    /// The disposal deadline (处置时限 from the report, moved by approved postponements and suspensions).
    public var deadline: Date
    /// When the current step is due (dispatch, disposal, verification); nil when no clock runs.
    public var stepDue: Date?
    public var pending: PendingRequest?
    /// Working hours asked for by a pending postponement.
    public var pendingHours: Double?
    public var suspendedAt: Date?
    /// The state a suspended case resumes to.
    public var resumeState: CaseState?
    public var handledBy: UUID?
    public var supervised: Bool
    /// 0 on time; 1 escalated to the dispatcher; 2 escalated to the street office.
    public var escalation: Int
    /// What the assessment measures of the case's course so far.
    public var milestones: CaseMilestones

    public init(state: CaseState, urgency: Urgency, reportedAt: Date, deadline: Date, stepDue: Date?, pending: PendingRequest? = nil,
                pendingHours: Double? = nil, suspendedAt: Date? = nil, resumeState: CaseState? = nil, handledBy: UUID? = nil,
                supervised: Bool = false, escalation: Int = 0, milestones: CaseMilestones = CaseMilestones()) {
        self.milestones = milestones
        self.state = state
        self.urgency = urgency
        self.reportedAt = reportedAt
        self.deadline = deadline
        self.stepDue = stepDue
        self.pending = pending
        self.pendingHours = pendingHours
        self.suspendedAt = suspendedAt
        self.resumeState = resumeState
        self.handledBy = handledBy
        self.supervised = supervised
        self.escalation = escalation
    }
}

/// What the assessment measures of a case's course (plan §10), kept as each step happens so that a year's scores add
/// up columns instead of reading every case's history: the first response and the first handling with their
/// working hours since the report (on the calendar as it stood then, like the deadline), how often it was sent back
/// and reopened, and the reporter's rating.
public struct CaseMilestones: Sendable, Equatable {
    /// First accepted by the responsible party, or handled (on the spot) before that.
    public var respondedAt: Date?
    /// First handled.
    public var handledAt: Date?
    public var responseHours: Double?
    public var handlingHours: Double?
    /// Times verification sent it back (返工).
    public var reworks: Int
    /// Times the reporter had it reopened (重新办理).
    public var reopens: Int
    /// The reporter's rating, 1–5.
    public var rating: Int?

    public init(respondedAt: Date? = nil, handledAt: Date? = nil, responseHours: Double? = nil, handlingHours: Double? = nil,
                reworks: Int = 0, reopens: Int = 0, rating: Int? = nil) {
        (self.respondedAt, self.handledAt, self.responseHours, self.handlingHours) = (respondedAt, handledAt, responseHours, handlingHours)
        (self.reworks, self.reopens, self.rating) = (reworks, reopens, rating)
    }

    /// The milestones after `action` at `now`.
    public func after(_ action: CaseAction, reportedAt: Date, now: Date, calendar: WorkingCalendar) -> CaseMilestones {
        var next = self
        func hours() -> Double { calendar.workingSeconds(from: reportedAt, to: now) / 3600 }
        if action.to == .accepted || action.to == .handled, next.respondedAt == nil {
            (next.respondedAt, next.responseHours) = (now, hours())
        }
        if action.to == .handled, next.handledAt == nil {
            (next.handledAt, next.handlingHours) = (now, hours())
        }
        if action.to == .reworked { next.reworks += 1 }
        if action == .reopen { next.reopens += 1 }
        return next
    }
}

/// What an action carries besides the action itself.
public struct CaseActionInput: Sendable {
    public var note: String?
    /// Working hours asked for by `requestPostpone`.
    public var hours: Double?
    /// `reopen`: the category's time limit, which runs again from the reopening.
    public var limit: TimeLimit?

    public init(note: String? = nil, hours: Double? = nil, limit: TimeLimit? = nil) {
        self.note = note
        self.hours = hours
        self.limit = limit
    }
}

/// Step time limits besides the category's disposal limit (domain-standards §5: 立案+派遣 ≤ 10 min urgent / 30 min
/// normal (Taiyuan); 核查 1 working hour).
public struct StepLimits: Sendable {
    public var dispatchMinutes: [Urgency: Double]
    public var verificationWorkingHours: Double
    /// How long past due (working hours) before an overdue case escalates from the dispatcher to the street office.
    public var streetEscalationWorkingHours: Double
    public var maxPostponeWorkingHours: Double

    public init(dispatchMinutes: [Urgency: Double] = [.normal: 30, .urgent: 10], verificationWorkingHours: Double = 1,
                streetEscalationWorkingHours: Double = 4, maxPostponeWorkingHours: Double = 24 * 7) {
        self.dispatchMinutes = dispatchMinutes
        self.verificationWorkingHours = verificationWorkingHours
        self.streetEscalationWorkingHours = streetEscalationWorkingHours
        self.maxPostponeWorkingHours = maxPostponeWorkingHours
    }

    public static let standard = StepLimits()

    public func dispatchDue(from start: Date, urgency: Urgency) -> Date {
        start.addingTimeInterval((dispatchMinutes[urgency] ?? 30) * 60)
    }
}

/// The state machine: pure, so every rule is tested without a database.
public enum CaseWorkflow {
    /// The state after `action`, or the reason it is not allowed now.
    public static func apply(_ action: CaseAction, to state: CaseState, as capacities: Set<CaseCapacity>, note: String?) throws(DomainError) -> CaseState {
        try check(action, state: state, pending: nil, capacities: capacities, note: note)
        return action.to ?? state
    }

    static func check(_ action: CaseAction, state: CaseState, pending: PendingRequest?, capacities: Set<CaseCapacity>, note: String?) throws(DomainError) {
        guard action.from.contains(state) else {
            throw .conflict(LocalizedText(zh: "案件当前为“\(state.label.zh)”，不能\(action.label.zh)", en: "the case is \(state.label.en.lowercased()); \(action.label.en.lowercased()) is not possible now"))
        }
        guard !action.capacities.isDisjoint(with: capacities) else {
            throw .forbidden(LocalizedText(zh: "您不能对该案件执行“\(action.label.zh)”", en: "you may not \(action.label.en.lowercased()) this case"))
        }
        if action.needsNote, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .unprocessable(field: "note", LocalizedText(zh: "请填写原因", en: "a reason is required"))
        }
    }

    /// Decides an action on a case: the case after it, with the clock moved as the action requires and its
    /// milestones kept.
    public static func decide(_ action: CaseAction, on snapshot: CaseSnapshot, as capacities: Set<CaseCapacity>, by actorID: UUID,
                              input: CaseActionInput, now: Date, calendar: WorkingCalendar,
                              limits: StepLimits = .standard) throws(DomainError) -> CaseSnapshot {
        var next = try move(action, on: snapshot, as: capacities, by: actorID, input: input, now: now, calendar: calendar, limits: limits)
        next.milestones = snapshot.milestones.after(action, reportedAt: snapshot.reportedAt, now: now, calendar: calendar)
        return next
    }

    private static func move(_ action: CaseAction, on snapshot: CaseSnapshot, as capacities: Set<CaseCapacity>, by actorID: UUID,
                             input: CaseActionInput, now: Date, calendar: WorkingCalendar, limits: StepLimits) throws(DomainError) -> CaseSnapshot {
        try check(action, state: snapshot.state, pending: snapshot.pending, capacities: capacities, note: input.note)
        var next = snapshot
        switch action {
        case .requestPostpone, .requestSuspend:
            if let pending = snapshot.pending {
                throw .conflict(LocalizedText(zh: "已有待审批的\(pending.label.zh)", en: "a \(pending.label.en.lowercased()) is already waiting"))
            }
            if action == .requestPostpone {
                guard let hours = input.hours, hours > 0, hours <= limits.maxPostponeWorkingHours, hours.isFinite else {
                    throw .invalid(field: "hours", LocalizedText(zh: "延期时长应为 1~\(Int(limits.maxPostponeWorkingHours)) 个工作时",
                                                                 en: "a postponement is 1–\(Int(limits.maxPostponeWorkingHours)) working hours"))
                }
                next.pendingHours = hours
            }
            next.pending = action == .requestPostpone ? .postpone : .suspend
            return next
        case .approvePostpone:
            guard snapshot.pending == .postpone, let hours = snapshot.pendingHours else {
                throw .conflict(LocalizedText(zh: "没有待审批的延期申请", en: "there is no postponement request to approve"))
            }
            next.deadline = calendar.adding(workingHours: hours, to: snapshot.deadline)
            next.stepDue = next.deadline
            next.pending = nil
            next.pendingHours = nil
            next.escalation = 0
            return next
        case .denyRequest:
            guard snapshot.pending != nil else {
                throw .conflict(LocalizedText(zh: "没有待审批的申请", en: "there is no request to deny"))
            }
            next.pending = nil
            next.pendingHours = nil
            return next
        case .suspend:
            next.resumeState = snapshot.state
            next.suspendedAt = now
            next.stepDue = nil
            next.pending = nil
            next.pendingHours = nil
            next.state = .suspended
            return next
        case .resume:
            // The disposal clock stood still while suspended: the deadline moves by the working time that passed.
            let paused = snapshot.suspendedAt.map { calendar.workingSeconds(from: $0, to: now) } ?? 0
            next.deadline = calendar.adding(workingSeconds: paused, to: snapshot.deadline)
            next.state = snapshot.resumeState ?? .accepted
            next.resumeState = nil
            next.suspendedAt = nil
            next.stepDue = next.deadline
            next.escalation = 0
            return next
        case .reopen:
            let limit = input.limit ?? TimeLimit(amount: 1, unit: .workingDays)
            next.deadline = limit.deadline(from: now, on: calendar)
            next.handledBy = nil
        case .supervise:
            guard !snapshot.supervised else {
                throw .conflict(LocalizedText(zh: "该案件已在督办中", en: "the case is already under supervision"))
            }
            next.supervised = true
            return next
        default:
            break
        }
        guard let to = action.to else { return next }
        next.state = to
        next.escalation = 0
        switch to {
        case .filed:
            break   // the dispatch step keeps its due time
        case .returned:
            next.stepDue = limits.dispatchDue(from: now, urgency: snapshot.urgency)
        case .dispatched, .accepted, .reworked:
            next.stepDue = next.deadline
        case .handled:
            next.handledBy = actorID
            next.stepDue = calendar.adding(workingHours: limits.verificationWorkingHours, to: now)
        case .verified:
            next.stepDue = calendar.adding(workingHours: limits.verificationWorkingHours, to: now)
        case .closed, .rejected, .suspended, .reported:
            next.stepDue = nil
            next.pending = nil
            next.pendingHours = nil
        }
        return next
    }

    /// The actions open to someone acting in these capacities now (the console shows only these).
    public static func available(in state: CaseState, as capacities: Set<CaseCapacity>) -> [CaseAction] {
        CaseAction.allCases.filter { $0.from.contains(state) && !$0.capacities.isDisjoint(with: capacities) }
    }

    /// As `available(in:as:)`, also honouring pending requests and the supervision flag.
    public static func available(on snapshot: CaseSnapshot, as capacities: Set<CaseCapacity>) -> [CaseAction] {
        available(in: snapshot.state, as: capacities).filter { action in
            switch action {
            case .requestPostpone, .requestSuspend: snapshot.pending == nil
            case .approvePostpone: snapshot.pending == .postpone
            case .denyRequest: snapshot.pending != nil
            case .supervise: !snapshot.supervised
            default: true
            }
        }
    }

    /// How far an overdue step has escalated by `now`: 0 on time, 1 the dispatcher, 2 the street office.
    public static func escalationLevel(stepDue: Date?, now: Date, calendar: WorkingCalendar, limits: StepLimits = .standard) -> Int {
        guard let due = stepDue, now >= due else { return 0 }
        return calendar.workingSeconds(from: due, to: now) >= limits.streetEscalationWorkingHours * 3600 ? 2 : 1
    }
}

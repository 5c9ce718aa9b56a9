import Foundation

/// Where a task stands (MicroCommunity's 未开始 → 进行中 → 完成 | 已超时 | 缺勤, with a plan change's superseded).
public enum WorkTaskState: String, Sendable, Codable, CaseIterable {
    /// Made by its plan, not begun.
    case scheduled
    /// Someone began it.
    case started
    case done
    /// Not done a day after its window closed: it can no longer be done, and it counts against the plan.
    case missed
    /// A change of its plan took its day over before anyone began it; kept, never deleted.
    case superseded

    public var label: LocalizedText {
        switch self {
        case .scheduled: LocalizedText(zh: "未开始", en: "Scheduled")
        case .started: LocalizedText(zh: "进行中", en: "Started")
        case .done: LocalizedText(zh: "已完成", en: "Done")
        case .missed: LocalizedText(zh: "未完成（缺勤）", en: "Missed")
        case .superseded: LocalizedText(zh: "已因计划变更作废", en: "Superseded by a plan change")
        }
    }

    public var isOpen: Bool { self == .scheduled || self == .started }
}

/// A task instance of a work plan.
public struct WorkTask: Sendable, Equatable {
    public var id: UUID
    public var planID: UUID
    public var planVersion: Int
    public var orgID: UUID
    public var areaID: UUID
    public var kind: WorkKind
    public var name: String
    public var nominal: LocalDate
    public var date: LocalDate
    public var windowStart: Date
    public var windowEnd: Date
    public var assignee: Assignee?
    public var state: WorkTaskState
    public var startedAt: Date?
    public var doneAt: Date?
    public var doneBy: UUID?
    public var note: String?

    public init(id: UUID, planID: UUID, planVersion: Int, orgID: UUID, areaID: UUID, kind: WorkKind, name: String, nominal: LocalDate, date: LocalDate,
                windowStart: Date, windowEnd: Date, assignee: Assignee?, state: WorkTaskState, startedAt: Date? = nil, doneAt: Date? = nil,
                doneBy: UUID? = nil, note: String? = nil) {
        (self.id, self.planID, self.planVersion, self.orgID, self.areaID, self.kind, self.name) = (id, planID, planVersion, orgID, areaID, kind, name)
        (self.nominal, self.date, self.windowStart, self.windowEnd, self.assignee, self.state) = (nominal, date, windowStart, windowEnd, assignee, state)
        (self.startedAt, self.doneAt, self.doneBy, self.note) = (startedAt, doneAt, doneBy, note)
    }

    /// The task an occurrence of a plan's version makes, not begun.
    public static func scheduled(_ o: Occurrence, plan: UUID, org: UUID, area: UUID, terms: WorkPlanTerms) -> WorkTask {
        WorkTask(id: UUID(), planID: plan, planVersion: o.version, orgID: org, areaID: area, kind: terms.kind, name: terms.name, nominal: o.nominal,
                 date: o.date, windowStart: o.windowStart, windowEnd: o.windowEnd, assignee: o.assignee, state: .scheduled)
    }

    /// Past its window and not done.
    public func isLate(at now: Date) -> Bool { state.isOpen && now > windowEnd }

    /// Done within its window.
    public var onTime: Bool? { state == .done ? doneAt.map { $0 <= windowEnd } : nil }

    /// When an open task counts as missed: a day after its window closed.
    public var missedAt: Date { windowEnd.addingTimeInterval(WorkTaskWorkflow.missedAfter) }
}

/// What someone does to a task.
public enum WorkTaskAction: Sendable, Equatable {
    case start
    case complete(note: String?)
    /// The dispatcher gives the task to another team or person.
    case reassign(Assignee)
}

/// Who acts on a task, as far as the workflow needs to know.
public struct TaskWorker: Sendable, Equatable {
    public var userID: UUID
    /// The teams the person is in.
    public var teams: Set<UUID>
    /// The steward's dispatcher (or the district office): may act on any task of the org and reassign.
    public var dispatches: Bool

    public init(userID: UUID, teams: Set<UUID>, dispatches: Bool) {
        (self.userID, self.teams, self.dispatches) = (userID, teams, dispatches)
    }

    public func isAssigned(_ task: WorkTask) -> Bool {
        switch task.assignee {
        case .person(let id)?: id == userID
        case .team(let id)?: teams.contains(id)
        case nil: false
        }
    }
}

public enum WorkTaskWorkflow {
    /// An open task becomes missed this long after its window closed.
    public static let missedAfter: TimeInterval = 24 * 3600
    public static let maxNote = 500

    /// The task after `action`, or the refusal. `assignable` are the teams and people the steward has (a reassignment
    /// stays within the company).
    public static func apply(_ task: WorkTask, _ action: WorkTaskAction, by worker: TaskWorker, assignable: Set<Assignee> = [], now: Date) -> Result<WorkTask, DomainError> {
        var next = task
        switch action {
        case .start, .complete:
            guard worker.dispatches || worker.isAssigned(task) else {
                return .failure(.forbidden(LocalizedText(zh: "这项任务没有派给您", en: "this task is not assigned to you")))
            }
            switch task.state {
            case .done: return .failure(.conflict(zh: "任务已完成", en: "the task is done already"))
            case .missed: return .failure(.conflict(zh: "任务已超过完成期限，记为未完成", en: "the task is past its deadline and counted as missed"))
            case .superseded: return .failure(.conflict(zh: "任务已因计划变更作废", en: "a plan change superseded this task"))
            case .scheduled, .started: break
            }
            if now >= task.missedAt { return .failure(.conflict(zh: "任务已超过完成期限，记为未完成", en: "the task is past its deadline and counted as missed")) }
            if LocalDate.beijing(now) < task.date {
                return .failure(.refused("date", zh: "这是 \(task.date) 的任务，当天才能开始", en: "this task is for \(task.date): it starts on that day"))
            }
            if case .complete(let note) = action {
                let text = note?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                if text.count > maxNote { return .failure(.invalid("note", zh: "备注不超过 \(maxNote) 字", en: "a note is at most \(maxNote) characters")) }
                next.state = .done
                next.startedAt = task.startedAt ?? now
                next.doneAt = now
                next.doneBy = worker.userID
                next.note = text.isEmpty ? nil : text
            } else {
                guard task.state == .scheduled else { return .failure(.conflict(zh: "任务已开始", en: "the task has started already")) }
                next.state = .started
                next.startedAt = now
            }
        case .reassign(let to):
            guard worker.dispatches else {
                return .failure(.forbidden(LocalizedText(zh: "只有调度员可以改派任务", en: "only the dispatcher reassigns tasks")))
            }
            guard task.state.isOpen else { return .failure(.conflict(zh: "只能改派未完成的任务", en: "only an open task can be reassigned")) }
            guard assignable.contains(to) else { return .failure(.refused("assignee", zh: "请选择本单位的班组或人员", en: "choose a team or person of your company")) }
            next.assignee = to
        }
        return .success(next)
    }
}

/// Which plans, tasks and teams a caller may see and change, decided in one place: the district office and auditors
/// see all; a street office its street's villages; a department the plans done under its own matters (谁委托谁监管);
/// the steward its own. The steward's dispatcher plans and dispatches; its staff do the tasks given to them.
public enum OperationsScope: Sendable, Equatable {
    case all
    case areas([UUID])
    case department(code: String)
    case steward(UUID)
    case nothing
}

public enum OperationsAccess {
    public static func scope(for actor: Actor) -> OperationsScope {
        guard actor.can(.areasRead), actor.can(.casesRead) else { return .nothing }
        switch actor.role {
        case .districtAdmin, .auditor: return .all
        case .streetOfficer: return .areas(actor.orgAreas)
        case .departmentOfficer: return actor.org.map { .department(code: $0.code) } ?? .nothing
        case .stewardDispatcher, .stewardStaff: return actor.org.map { .steward($0.id) } ?? .nothing
        case .resident, .dataConsumer: return .nothing
        }
    }

    /// Whose shifts the caller sees: as for plans and tasks, except departments, who see none (a roster is the
    /// steward's own arrangement, not a matter's).
    public static func shiftScope(for actor: Actor) -> OperationsScope {
        let s = scope(for: actor)
        if case .department = s { return .nothing }
        return s
    }

    /// Making and changing the steward's plans and teams: its dispatcher, or the district office.
    public static func mayPlan(_ actor: Actor, stewardID: UUID) -> Bool {
        guard actor.can(.casesWork) else { return false }
        switch actor.role {
        case .districtAdmin: return true
        case .stewardDispatcher: return actor.org?.id == stewardID
        default: return false
        }
    }

    /// Who can be given the steward's tasks and be in its teams: its active dispatchers and staff.
    public static func mayBeAssigned(_ user: User, stewardID: UUID) -> Bool {
        user.isActive && user.orgID == stewardID && (user.role == .stewardStaff || user.role == .stewardDispatcher)
    }

    /// Whether the caller plans any steward's work at all (before it is known which steward).
    public static func mayPlanAny(_ actor: Actor) -> Bool {
        actor.can(.casesWork) && (actor.role == .districtAdmin || actor.role == .stewardDispatcher)
    }

    /// Acting on the steward's tasks: its people (the workflow then asks whether the task is theirs).
    public static func worker(_ actor: Actor, stewardID: UUID, teams: Set<UUID>) -> TaskWorker? {
        guard actor.can(.casesWork) else { return nil }
        switch actor.role {
        case .districtAdmin: return TaskWorker(userID: actor.user.id, teams: teams, dispatches: true)
        case .stewardDispatcher where actor.org?.id == stewardID: return TaskWorker(userID: actor.user.id, teams: teams, dispatches: true)
        case .stewardStaff where actor.org?.id == stewardID: return TaskWorker(userID: actor.user.id, teams: teams, dispatches: false)
        default: return nil
        }
    }

    /// Whether one's list is one's own work (line staff) rather than everything in scope.
    public static func listsOwnWorkOnly(_ actor: Actor) -> Bool { actor.role == .stewardStaff }
}

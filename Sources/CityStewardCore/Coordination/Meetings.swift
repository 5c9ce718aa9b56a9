import Foundation

/// A coordination meeting (协调会, plan §2): the district office's monthly meeting, or a street's.
public enum MeetingKind: String, Sendable, Codable, CaseIterable {
    case districtMonthly, street

    public var label: LocalizedText {
        switch self {
        case .districtMonthly: LocalizedText(zh: "区月度协调会", en: "District monthly meeting")
        case .street: LocalizedText(zh: "街道协调会", en: "Street meeting")
        }
    }
}

/// What an agenda item is about: a case, a contract, a village or an assessment plan, by its number or code.
public struct AgendaLink: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case `case`, contract, village, assessment }
    public var kind: Kind
    public var ref: String

    public init(kind: Kind, ref: String) {
        (self.kind, self.ref) = (kind, ref)
    }

    /// `LH-2026-000123` a case, `HT-…` a contract, a village's code, or `考核2026` / `assessment:2026` a year's plan.
    public static func parse(_ text: String) -> AgendaLink? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("LH-") { return AgendaLink(kind: .case, ref: t) }
        if t.hasPrefix("HT-") { return AgendaLink(kind: .contract, ref: t) }
        if t.hasPrefix("assessment:"), let y = Int(t.dropFirst(11)), (2000...2100).contains(y) { return AgendaLink(kind: .assessment, ref: String(y)) }
        // A village's code: its community's 12 digits, V, its number (440309002001V01).
        if t.count == 15, t.prefix(12).allSatisfy({ $0.isASCII && $0.isNumber }), t.dropFirst(12).first == "V" { return AgendaLink(kind: .village, ref: t) }
        return nil
    }
}

public struct AgendaItem: Sendable, Equatable, Codable {
    public var title: String
    public var links: [AgendaLink]

    public init(title: String, links: [AgendaLink]) {
        (self.title, self.links) = (title, links)
    }
}

public enum MeetingState: String, Sendable, Codable, CaseIterable {
    case planned, minuted

    public var label: LocalizedText {
        switch self {
        case .planned: LocalizedText(zh: "待召开", en: "Planned")
        case .minuted: LocalizedText(zh: "已形成纪要", en: "Minuted")
        }
    }
}

public struct Meeting: Sendable, Equatable {
    public var id: UUID
    public var kind: MeetingKind
    public var title: String
    /// The district, or the street whose meeting it is.
    public var areaID: UUID
    public var convenedBy: UUID?
    public var heldAt: Date
    public var place: String
    public var invited: [UUID]
    public var agenda: [AgendaItem]
    public var state: MeetingState
    public var attended: [UUID]
    public var decisions: [String]
    public var minutes: String?
    public var minutedAt: Date?
    public var createdBy: UUID?
    public var createdAt: Date

    public init(id: UUID, kind: MeetingKind, title: String, areaID: UUID, convenedBy: UUID?, heldAt: Date, place: String, invited: [UUID], agenda: [AgendaItem],
                state: MeetingState = .planned, attended: [UUID] = [], decisions: [String] = [], minutes: String? = nil, minutedAt: Date? = nil,
                createdBy: UUID?, createdAt: Date) {
        (self.id, self.kind, self.title, self.areaID, self.convenedBy, self.heldAt, self.place) = (id, kind, title, areaID, convenedBy, heldAt, place)
        (self.invited, self.agenda, self.state, self.attended, self.decisions) = (invited, agenda, state, attended, decisions)
        (self.minutes, self.minutedAt, self.createdBy, self.createdAt) = (minutes, minutedAt, createdBy, createdAt)
    }
}

/// How far an open action item has been pushed: a reminder (催办) the working day before it is due, supervision (督办)
/// once it is overdue — as a case is escalated.
public enum ActionEscalation: Int, Sendable, Codable, Comparable, CaseIterable {
    case none = 0, reminded = 1, supervised = 2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .none: "none"
        case .reminded: "reminded"
        case .supervised: "supervised"
        }
    }

    public var label: LocalizedText {
        switch self {
        case .none: LocalizedText(zh: "正常", en: "On time")
        case .reminded: LocalizedText(zh: "已催办", en: "Reminded")
        case .supervised: LocalizedText(zh: "督办", en: "Supervised")
        }
    }
}

/// A meeting's action item: who does what by when (a working day), tracked until done and carried to the next meeting
/// of the same kind and area while open.
public struct ActionItem: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var meetingID: UUID
    public var title: String
    public var ownerOrg: UUID
    public var dueDate: LocalDate
    public var escalation: ActionEscalation
    public var doneAt: Date?
    public var doneNote: String?
    public var createdAt: Date
    /// How many later meetings it has been carried to.
    public var carried: Int

    public init(id: UUID, number: String, meetingID: UUID, title: String, ownerOrg: UUID, dueDate: LocalDate, escalation: ActionEscalation = .none,
                doneAt: Date? = nil, doneNote: String? = nil, createdAt: Date, carried: Int = 0) {
        (self.id, self.number, self.meetingID, self.title, self.ownerOrg, self.dueDate) = (id, number, meetingID, title, ownerOrg, dueDate)
        (self.escalation, self.doneAt, self.doneNote, self.createdAt, self.carried) = (escalation, doneAt, doneNote, createdAt, carried)
    }

    public var isOpen: Bool { doneAt == nil }

    public func isOverdue(today: LocalDate) -> Bool { isOpen && dueDate < today }
}

/// An action item as typed in the minutes.
public struct ActionInput: Sendable, Equatable {
    public var title: String
    public var owner: UUID?
    public var dueDate: String

    public init(title: String, owner: UUID?, dueDate: String) {
        (self.title, self.owner, self.dueDate) = (title, owner, dueDate)
    }
}

public struct MeetingPlan: Sendable, Equatable {
    public var kind: MeetingKind
    public var title: String
    public var areaID: UUID
    public var heldAt: Date
    public var place: String
    public var invited: [UUID]
    public var agenda: [AgendaItem]
}

public struct MeetingMinutes: Sendable, Equatable {
    public var attended: [UUID]
    public var decisions: [String]
    public var minutes: String
    public var actions: [(title: String, owner: UUID, due: LocalDate)]

    public init(attended: [UUID], decisions: [String], minutes: String, actions: [(title: String, owner: UUID, due: LocalDate)]) {
        (self.attended, self.decisions, self.minutes, self.actions) = (attended, decisions, minutes, actions)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.attended == b.attended && a.decisions == b.decisions && a.minutes == b.minutes
            && a.actions.map(\.title) == b.actions.map(\.title) && a.actions.map(\.owner) == b.actions.map(\.owner) && a.actions.map(\.due) == b.actions.map(\.due)
    }
}

public enum MeetingRules {
    public static let maxAgenda = 30, maxActions = 30, maxInvited = 60

    static func add(_ p: inout [FieldProblem], _ field: String, _ zh: String, _ en: String) { p.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }

    /// A meeting planned: its kind fits its area (the district's monthly meeting, a street's in a street), a time not
    /// long past, a place, who is invited (known organisations), an agenda of lines, each with what it links.
    public static func validatePlan(kind: MeetingKind, title: String, area: Area?, heldAt: String, place: String, invited: [UUID], knownOrgs: Set<UUID>,
                                    agenda: [(title: String, links: [String])], now: Date) -> Result<MeetingPlan, FieldProblems> {
        var p: [FieldProblem] = []
        let t = title.trimmingCharacters(in: .whitespacesAndNewlines), pl = place.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count < 4 || t.count > 60 { add(&p, "title", "请填写会议名称（4~60 字）", "give the meeting a title (4–60 characters)") }
        switch (kind, area?.kind) {
        case (.districtMonthly, .district), (.street, .street): break
        case (_, nil): add(&p, "area", "请选择召开会议的区或街道", "choose the district or street holding it")
        default: add(&p, "area", kind == .districtMonthly ? "区月度协调会由全区召开" : "街道协调会须选择街道", kind == .districtMonthly ? "the monthly meeting is the district's" : "a street meeting is a street's")
        }
        let when = BeijingTime.parse(heldAt)
        if when == nil { add(&p, "heldAt", "会议时间应为 YYYY-MM-DD HH:MM（北京时间）", "the time is YYYY-MM-DD HH:MM (Beijing time)") }
        else if when! < now.addingTimeInterval(-7 * 86_400) { add(&p, "heldAt", "会议时间不能早于一周前", "the meeting is not more than a week ago") }
        if pl.count < 2 || pl.count > 60 { add(&p, "place", "请填写会议地点（2~60 字）", "give the place (2–60 characters)") }
        var seen = Set<UUID>()
        let orgs = invited.filter { seen.insert($0).inserted }
        if orgs.isEmpty || orgs.count > maxInvited || orgs.contains(where: { !knownOrgs.contains($0) }) {
            add(&p, "invited", "请选择参会单位（1~\(maxInvited) 个）", "choose the organisations invited (1–\(maxInvited))")
        }
        var items: [AgendaItem] = []
        for (i, line) in agenda.enumerated() {
            let title = line.title.trimmingCharacters(in: .whitespacesAndNewlines)
            var links: [AgendaLink] = []
            for text in line.links where !text.trimmingCharacters(in: .whitespaces).isEmpty {
                if let l = AgendaLink.parse(text) { links.append(l) } else {
                    add(&p, "agenda", "第 \(i + 1) 项议程：无法识别“\(text)”（案件编号 LH-…、合同编号 HT-…、城中村编码，或 assessment:年份）",
                        "agenda item \(i + 1): “\(text)” is not a case (LH-…), a contract (HT-…), a village's code or assessment:<year>")
                }
            }
            if title.count < 2 || title.count > 100 { add(&p, "agenda", "第 \(i + 1) 项议程：请写明议题（2~100 字）", "agenda item \(i + 1): say what it is (2–100 characters)") }
            items.append(AgendaItem(title: title, links: links))
        }
        if items.count > maxAgenda { add(&p, "agenda", "议程最多 \(maxAgenda) 项", "at most \(maxAgenda) agenda items") }
        guard p.isEmpty, let area, let when else { return .failure(FieldProblems(p)) }
        return .success(MeetingPlan(kind: kind, title: t, areaID: area.id, heldAt: when, place: pl, invited: orgs, agenda: items))
    }

    /// The minutes, once the meeting is held: who attended (of those invited), decisions, the minutes, and action items
    /// with an owner among those invited and a due date that is a working day, today or later.
    public static func validateMinutes(_ m: Meeting, attended: [UUID], decisions: [String], minutes: String, actions: [ActionInput],
                                       calendar: WorkingCalendar, now: Date) -> Result<MeetingMinutes, FieldProblems> {
        var p: [FieldProblem] = []
        if m.state == .minuted { add(&p, "minutes", "纪要已形成，不能再改", "the minutes are recorded and cannot change") }
        if now < m.heldAt { add(&p, "minutes", "会议召开后才能形成纪要", "the minutes come after the meeting") }
        let present = Array(Set(attended)).filter { m.invited.contains($0) }
        if present.isEmpty || present.count != Set(attended).count { add(&p, "attended", "请勾选实际参会的单位（须为受邀单位）", "tick the organisations that attended (of those invited)") }
        let ds = decisions.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        if ds.count > 50 || ds.contains(where: { $0.count > 500 }) { add(&p, "decisions", "议定事项每条不超过 500 字，最多 50 条", "at most 50 decisions of 500 characters") }
        let text = minutes.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count < 10 || text.count > 10_000 { add(&p, "minutes", "请填写会议纪要（10~10000 字）", "write the minutes (10–10,000 characters)") }
        let today = LocalDate.beijing(now)
        var out: [(String, UUID, LocalDate)] = []
        for (i, a) in actions.enumerated() {
            let t = a.title.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty && a.owner == nil && a.dueDate.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if t.count < 4 || t.count > 200 { add(&p, "actions[\(i)].title", "第 \(i + 1) 项任务：请写明任务（4~200 字）", "action \(i + 1): say what is to be done (4–200 characters)") }
            if a.owner == nil || !m.invited.contains(a.owner!) { add(&p, "actions[\(i)].owner", "第 \(i + 1) 项任务：责任单位须为参会单位", "action \(i + 1): the owner is one of those invited") }
            let due = LocalDate(a.dueDate.trimmingCharacters(in: .whitespaces))
            if due == nil { add(&p, "actions[\(i)].dueDate", "第 \(i + 1) 项任务：期限应为 YYYY-MM-DD", "action \(i + 1): the due date is YYYY-MM-DD") }
            else if due! < today { add(&p, "actions[\(i)].dueDate", "第 \(i + 1) 项任务：期限不能早于今天", "action \(i + 1): the due date is today or later") }
            else if !calendar.isWorkingDay(due!) { add(&p, "actions[\(i)].dueDate", "第 \(i + 1) 项任务：期限须为工作日（\(due!) 休息）", "action \(i + 1): the due date is a working day (\(due!) is not)") }
            if let owner = a.owner, let due, p.isEmpty { out.append((t, owner, due)) }
        }
        if out.count > maxActions { add(&p, "actions", "任务最多 \(maxActions) 项", "at most \(maxActions) actions") }
        guard p.isEmpty else { return .failure(FieldProblems(p)) }
        return .success(MeetingMinutes(attended: present, decisions: ds, minutes: text, actions: out))
    }

    /// Where an open item should stand today: reminded from the working day before it is due, supervised once overdue.
    public static func escalation(_ item: ActionItem, today: LocalDate, calendar: WorkingCalendar) -> ActionEscalation {
        guard item.isOpen else { return item.escalation }
        if item.dueDate < today { return .supervised }
        var before = item.dueDate.adding(days: -1)
        while !calendar.isWorkingDay(before) && before > item.dueDate.adding(days: -15) { before = before.adding(days: -1) }
        return today >= before ? max(item.escalation, .reminded) : item.escalation
    }

    public static func validateDone(note: String) -> FieldProblem? {
        let n = note.trimmingCharacters(in: .whitespacesAndNewlines)
        return n.count < 4 || n.count > 1_000 ? FieldProblem(field: "note", reason: LocalizedText(zh: "请写明完成情况（4~1000 字）", en: "say how it was done (4–1,000 characters)")) : nil
    }
}

/// Who convenes meetings and sees them and their action items. The district office convenes the monthly meeting; a
/// street office its street's. Minutes are shown to the participants (the organisations invited); an action item to
/// its owner, the convener and the district office; auditors see all.
public enum CoordinationAccess {
    public static func mayConvene(_ actor: Actor, kind: MeetingKind, areaPath: [UUID]) -> Bool {
        guard actor.can(.casesWork) else { return false }
        switch (actor.role, kind) {
        case (.districtAdmin, _): return true
        case (.streetOfficer, .street): return areaPath.contains { actor.orgAreas.contains($0) }
        default: return false
        }
    }

    /// The kind of meeting the caller convenes when it does not say: the district office its monthly one, a street its own.
    public static func defaultKind(for actor: Actor) -> MeetingKind { actor.role == .districtAdmin ? .districtMonthly : .street }

    public static func mayConveneAny(_ actor: Actor) -> Bool {
        actor.can(.casesWork) && (actor.role == .districtAdmin || (actor.role == .streetOfficer && !actor.orgAreas.isEmpty))
    }

    public static func maySee(_ actor: Actor, _ m: Meeting) -> Bool {
        if actor.role == .districtAdmin || (actor.role == .auditor && actor.can(.areasRead)) { return true }
        guard let org = actor.org?.id, actor.role != .resident, actor.role != .dataConsumer else { return false }
        return m.convenedBy == org || m.invited.contains(org)
    }

    /// Minuting and planning the meeting's follow-up: its convener (or the district office).
    public static func mayManage(_ actor: Actor, _ m: Meeting) -> Bool {
        guard actor.can(.casesWork) else { return false }
        return actor.role == .districtAdmin || (actor.role == .streetOfficer && m.convenedBy != nil && m.convenedBy == actor.org?.id)
    }

    public static func maySee(_ actor: Actor, _ item: ActionItem, meeting: Meeting) -> Bool {
        maySee(actor, meeting) && (actor.role == .districtAdmin || actor.role == .auditor || item.ownerOrg == actor.org?.id || meeting.convenedBy == actor.org?.id)
    }

    /// Marking done: the owner (with a note), or the convener / district office.
    public static func mayComplete(_ actor: Actor, _ item: ActionItem, meeting: Meeting) -> Bool {
        guard actor.can(.casesWork) else { return false }
        return item.ownerOrg == actor.org?.id || mayManage(actor, meeting)
    }
}

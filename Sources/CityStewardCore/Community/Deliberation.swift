import Foundation

/// Who raised an item for deliberation (议事协调, plan §3(1), §9(1)).
public enum DeliberationSource: String, Sendable, Codable, CaseIterable {
    case resident, partyCommittee, street, steward, shareholdingCompany

    public var label: LocalizedText {
        switch self {
        case .resident: LocalizedText(zh: "居民", en: "Resident")
        case .partyCommittee: LocalizedText(zh: "社区党组织", en: "Party committee")
        case .street: LocalizedText(zh: "街道", en: "Street office")
        case .steward: LocalizedText(zh: "城市管家", en: "Steward")
        case .shareholdingCompany: LocalizedText(zh: "股份合作公司", en: "Shareholding company")
        }
    }
}

/// Where an item stands: raised → scheduled (a meeting of the parties set) → decided (the meeting's decision, who
/// carries it out, by when; a case when it needs work) → closed (the outcome, published); or declined with a reason.
public enum DeliberationState: String, Sendable, Codable, CaseIterable {
    case raised, scheduled, decided, closed, declined

    public var label: LocalizedText {
        switch self {
        case .raised: LocalizedText(zh: "待受理", en: "Raised")
        case .scheduled: LocalizedText(zh: "待议事", en: "Meeting set")
        case .decided: LocalizedText(zh: "落实中", en: "Being carried out")
        case .closed: LocalizedText(zh: "已办结", en: "Done")
        case .declined: LocalizedText(zh: "不予受理", en: "Not taken up")
        }
    }

    /// Shown to residents on the village's page (a raised item is not yet: it may be a duplicate or abuse).
    public var isPublic: Bool { self != .raised }
}

/// One party's opinion at the meeting.
public struct DeliberationOpinion: Sendable, Equatable, Codable {
    public var party: String
    public var text: String

    public init(party: String, text: String) {
        (self.party, self.text) = (party, text)
    }
}

/// An item as it stands.
public struct DeliberationItem: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var title: String
    public var description: String
    public var areaID: UUID
    public var source: DeliberationSource
    public var state: DeliberationState
    /// A small livelihood project (民生微实事) with its budget and, when done, what it cost (fen).
    public var microProject: Bool
    public var budgetFen: Int?
    public var spentFen: Int?
    public var raisedBy: UUID?
    /// A resident's name and phone as shown (masked); the phone is kept sealed for a reply.
    public var residentName: String?
    public var residentPhone: String?
    public var createdAt: Date
    public var meetingAt: Date?
    public var meetingPlace: String?
    public var parties: [String]
    public var opinions: [DeliberationOpinion]
    public var decision: String?
    public var carriedOutBy: UUID?
    public var dueDate: LocalDate?
    public var caseID: UUID?
    public var caseNumber: String?
    public var outcome: String?
    public var declineReason: String?
    public var updatedAt: Date

    public init(id: UUID, number: String, title: String, description: String, areaID: UUID, source: DeliberationSource, state: DeliberationState = .raised,
                microProject: Bool = false, budgetFen: Int? = nil, spentFen: Int? = nil, raisedBy: UUID?, residentName: String? = nil, residentPhone: String? = nil,
                createdAt: Date, meetingAt: Date? = nil, meetingPlace: String? = nil, parties: [String] = [], opinions: [DeliberationOpinion] = [],
                decision: String? = nil, carriedOutBy: UUID? = nil, dueDate: LocalDate? = nil, caseID: UUID? = nil, caseNumber: String? = nil,
                outcome: String? = nil, declineReason: String? = nil, updatedAt: Date? = nil) {
        (self.id, self.number, self.title, self.description, self.areaID, self.source, self.state) = (id, number, title, description, areaID, source, state)
        (self.microProject, self.budgetFen, self.spentFen, self.raisedBy, self.residentName, self.residentPhone) = (microProject, budgetFen, spentFen, raisedBy, residentName, residentPhone)
        (self.createdAt, self.meetingAt, self.meetingPlace, self.parties, self.opinions) = (createdAt, meetingAt, meetingPlace, parties, opinions)
        (self.decision, self.carriedOutBy, self.dueDate, self.caseID, self.caseNumber) = (decision, carriedOutBy, dueDate, caseID, caseNumber)
        (self.outcome, self.declineReason, self.updatedAt) = (outcome, declineReason, updatedAt ?? createdAt)
    }

    /// Decided and past its due date (Beijing day) without being closed.
    public func isOverdue(today: LocalDate) -> Bool { state == .decided && (dueDate.map { $0 < today } ?? false) }
}

/// What someone raising an item wrote.
public struct DeliberationRaise: Sendable, Equatable {
    public var title: String
    public var description: String
    public var source: DeliberationSource
    public var microProject: Bool
    public var budgetFen: Int?

    public init(title: String, description: String, source: DeliberationSource, microProject: Bool, budgetFen: Int?) {
        (self.title, self.description, self.source, self.microProject, self.budgetFen) = (title, description, source, microProject, budgetFen)
    }
}

/// A step on an item, as typed (every field text; the console's forms and the API's body alike).
public enum DeliberationAction: Sendable, Equatable {
    case schedule(at: String, place: String, parties: [String])
    case decide(opinions: [DeliberationOpinion], decision: String, carriedOutBy: UUID?, dueDate: String, budgetFen: Int?)
    case close(outcome: String, spentFen: Int?)
    case decline(reason: String)

    public var name: String {
        switch self {
        case .schedule: "schedule"
        case .decide: "decide"
        case .close: "close"
        case .decline: "decline"
        }
    }
}

/// What a step changes, checked.
public struct DeliberationChange: Sendable, Equatable {
    public var item: DeliberationItem
    public var audit: String
}

public enum DeliberationRules {
    public static let titleLimit = 60, textLimit = 2_000, maxParties = 20, maxOpinions = 30
    /// A micro project's budget: up to 2,000,000 yuan, in fen.
    public static let maxBudgetFen = 200_000_000

    static func add(_ problems: inout [FieldProblem], _ field: String, _ zh: String, _ en: String) {
        problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en)))
    }

    public static func validateRaise(title: String, description: String, source: DeliberationSource, microProject: Bool, budgetFen: Int?,
                                     village: UUID?) -> Result<DeliberationRaise, FieldProblems> {
        var problems: [FieldProblem] = []
        let t = title.trimmingCharacters(in: .whitespacesAndNewlines), d = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count < 4 || t.count > titleLimit { add(&problems, "title", "请用一句话写明议题（4~\(titleLimit) 字）", "say what it is about in a line (4–\(titleLimit) characters)") }
        if d.count < 10 || d.count > textLimit { add(&problems, "description", "请说明情况和诉求（10~\(textLimit) 字）", "describe the situation and what is asked (10–\(textLimit) characters)") }
        if village == nil { add(&problems, "area", "请选择城中村", "choose the village") }
        if let b = budgetFen, !(1...maxBudgetFen).contains(b) { add(&problems, "budget", "预算为 0.01~2000000 元", "the budget is 0.01 to 2,000,000 yuan") }
        if budgetFen != nil && !microProject { add(&problems, "budget", "只有民生微实事项目填写预算", "only a small livelihood project has a budget") }
        guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
        return .success(DeliberationRaise(title: t, description: d, source: source, microProject: microProject, budgetFen: budgetFen))
    }

    /// A step on an item: allowed from its state, its fields checked. `organisations`: the ids that may carry a decision
    /// out (the village's steward, its street office, the departments).
    public static func decide(_ item: DeliberationItem, _ action: DeliberationAction, organisations: Set<UUID>, now: Date) -> Result<DeliberationChange, FieldProblems> {
        var problems: [FieldProblem] = []
        var next = item
        next.updatedAt = now
        let today = LocalDate.beijing(now)
        func refused(_ zh: String, _ en: String) -> Result<DeliberationChange, FieldProblems> {
            .failure(FieldProblems([FieldProblem(field: "action", reason: LocalizedText(zh: zh, en: en))]))
        }
        switch action {
        case .schedule(let at, let place, let parties):
            guard item.state == .raised || item.state == .scheduled else { return refused("该议题已议定，不能再安排会议", "the item is decided; no meeting can be set") }
            let when = BeijingTime.parse(at)
            if when == nil { add(&problems, "meetingAt", "会议时间应为 YYYY-MM-DD HH:MM（北京时间）", "the meeting's time is YYYY-MM-DD HH:MM (Beijing time)") }
            else if when! < now.addingTimeInterval(-86_400 * 7) { add(&problems, "meetingAt", "会议时间不能早于一周前", "the meeting is not more than a week ago") }
            let p = place.trimmingCharacters(in: .whitespacesAndNewlines)
            if p.count < 2 || p.count > 60 { add(&problems, "meetingPlace", "请填写会议地点（2~60 字）", "give the meeting's place (2–60 characters)") }
            let names = parties.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            if names.count < 2 || names.count > maxParties || names.contains(where: { $0.count > 40 }) {
                add(&problems, "parties", "请列出参加议事的各方（2~\(maxParties) 方，每方不超过 40 字）", "name the parties taking part (2–\(maxParties), each at most 40 characters)")
            }
            guard problems.isEmpty, let when else { return .failure(FieldProblems(problems)) }
            (next.state, next.meetingAt, next.meetingPlace, next.parties) = (.scheduled, when, p, names)
            return .success(DeliberationChange(item: next, audit: "meeting \(BeijingTime.minute(when)) at \(p): \(names.joined(separator: "、"))"))
        case .decide(let opinions, let decision, let carriedOutBy, let dueDate, let budgetFen):
            guard item.state == .scheduled else {
                return refused(item.state == .raised ? "先安排议事会议" : "该议题已议定", item.state == .raised ? "set the meeting first" : "the item is already decided")
            }
            if let at = item.meetingAt, at > now { add(&problems, "decision", "会议 \(BeijingTime.minute(at)) 召开后才能记录决定", "the decision is recorded once the meeting (\(BeijingTime.minute(at))) has been held") }
            let cleaned = opinions.map { DeliberationOpinion(party: $0.party.trimmingCharacters(in: .whitespacesAndNewlines), text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
                .filter { !$0.party.isEmpty || !$0.text.isEmpty }
            if cleaned.isEmpty || cleaned.count > maxOpinions || cleaned.contains(where: { $0.party.isEmpty || $0.text.isEmpty || $0.party.count > 40 || $0.text.count > 500 }) {
                add(&problems, "opinions", "请记录各方意见（每条写明哪一方和意见，不超过 500 字）", "record the parties' opinions (each with its party and at most 500 characters)")
            }
            let d = decision.trimmingCharacters(in: .whitespacesAndNewlines)
            if d.count < 4 || d.count > textLimit { add(&problems, "decision", "请写明议定事项（4~\(textLimit) 字）", "write what was decided (4–\(textLimit) characters)") }
            if carriedOutBy == nil || !organisations.contains(carriedOutBy!) { add(&problems, "carriedOutBy", "请选择负责落实的单位", "choose who carries it out") }
            let due = LocalDate(dueDate.trimmingCharacters(in: .whitespaces))
            if due == nil { add(&problems, "dueDate", "落实期限应为 YYYY-MM-DD", "the due date is YYYY-MM-DD") }
            else if due! < today { add(&problems, "dueDate", "落实期限不能早于今天", "the due date is today or later") }
            if let b = budgetFen {
                if !item.microProject { add(&problems, "budget", "只有民生微实事项目填写预算", "only a small livelihood project has a budget") }
                else if !(1...maxBudgetFen).contains(b) { add(&problems, "budget", "预算为 0.01~2000000 元", "the budget is 0.01 to 2,000,000 yuan") }
            }
            if item.microProject && budgetFen == nil && item.budgetFen == nil { add(&problems, "budget", "民生微实事项目须有预算", "a small livelihood project needs its budget") }
            guard problems.isEmpty, let due else { return .failure(FieldProblems(problems)) }
            (next.state, next.opinions, next.decision, next.carriedOutBy, next.dueDate) = (.decided, cleaned, d, carriedOutBy, due)
            if let b = budgetFen { next.budgetFen = b }
            return .success(DeliberationChange(item: next, audit: "decided: \(d.prefix(80)); due \(due)"))
        case .close(let outcome, let spentFen):
            guard item.state == .decided else { return refused("议定后才能办结", "an item is closed once decided") }
            let o = outcome.trimmingCharacters(in: .whitespacesAndNewlines)
            if o.count < 10 || o.count > textLimit { add(&problems, "outcome", "请写明落实结果（10~\(textLimit) 字），将向居民公开", "write what was done (10–\(textLimit) characters); residents see it") }
            if item.microProject {
                if spentFen == nil { add(&problems, "spent", "请填写民生微实事项目的实际支出", "give what the project cost") }
                else if !(0...maxBudgetFen).contains(spentFen!) { add(&problems, "spent", "实际支出为 0~2000000 元", "the cost is 0 to 2,000,000 yuan") }
            } else if spentFen != nil { add(&problems, "spent", "只有民生微实事项目填写支出", "only a small livelihood project has a cost") }
            guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
            (next.state, next.outcome, next.spentFen) = (.closed, o, spentFen)
            return .success(DeliberationChange(item: next, audit: "closed: \(o.prefix(80))"))
        case .decline(let reason):
            guard item.state == .raised || item.state == .scheduled else { return refused("已议定的议题不能不予受理", "a decided item cannot be declined") }
            let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            if r.count < 4 || r.count > 500 { add(&problems, "reason", "请写明不予受理的原因（4~500 字），将告知提出人", "give the reason (4–500 characters); whoever raised it is told") }
            guard problems.isEmpty else { return .failure(FieldProblems(problems)) }
            (next.state, next.declineReason) = (.declined, r)
            return .success(DeliberationChange(item: next, audit: "declined: \(r.prefix(80))"))
        }
    }
}

/// Who raises, runs and sees deliberation items. The street office convenes deliberation in its villages (with the
/// community's party organisation); the district office anywhere. Stewards and departments raise items and see them
/// where they serve (they are parties and carry decisions out); auditors see all.
public enum DeliberationAccess {
    public static func runScope(for actor: Actor) -> CommunityScope {
        guard actor.can(.casesWork) else { return .nothing }
        switch actor.role {
        case .districtAdmin: return .everywhere
        case .streetOfficer: return actor.orgAreas.isEmpty ? .nothing : .areas(actor.orgAreas)
        default: return .nothing
        }
    }

    /// Raising an item as staff: wherever the caller publishes to residents.
    public static func raiseScope(for actor: Actor) -> CommunityScope { NoticeAccess.publishScope(for: actor) }

    public static func readScope(for actor: Actor) -> CommunityScope { NoticeAccess.readScope(for: actor) }

    public static func mayRun(_ actor: Actor, villagePath: [UUID]) -> Bool { NoticeAccess.covers(runScope(for: actor), path: villagePath) }

    /// Whom staff raise an item for when they do not say: a steward's dispatcher its company, others the street.
    public static func defaultSource(for actor: Actor) -> DeliberationSource { actor.role == .stewardDispatcher ? .steward : .street }

    public static func mayRaise(_ actor: Actor, villagePath: [UUID]) -> Bool { NoticeAccess.covers(raiseScope(for: actor), path: villagePath) }

    /// Seeing an item in the console: in the caller's read scope, or carried out by the caller's organisation.
    public static func maySee(_ actor: Actor, _ item: DeliberationItem, villagePath: [UUID]) -> Bool {
        if item.carriedOutBy != nil && item.carriedOutBy == actor.org?.id && readScope(for: actor) != .nothing { return true }
        return NoticeAccess.covers(readScope(for: actor), path: villagePath)
    }
}

import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Coordination (issue 20 §5): the district office's monthly meeting and streets' meetings — planned with an agenda
/// linked to cases, contracts, villages and assessment plans, open action items of earlier meetings carried forward —
/// minuted with attendance, decisions and action items; action items done by their owners or escalated (催办, 督办)
/// by the sweep. The console and the API both call these.
struct MeetingsService {
    let req: Request

    var store: MeetingStore { MeetingStore(db: req.db) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "无权召集协调会", en: "not allowed to convene meetings"))

    struct PlanInput: Content {
        var kind: String?
        var title: String?
        /// The district's or the street's code.
        var area: String?
        var heldAt: String?
        var place: String?
        /// Organisations' codes or ids.
        var invited: [String]?
        var agenda: [Agenda]?

        struct Agenda: Content {
            var title: String?
            /// Case numbers, contract numbers, village codes, `assessment:<year>`.
            var links: [String]?
        }
    }

    static func org(_ text: String, _ reference: CaseReference) -> UUID? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let id = UUID(uuidString: t), reference.orgs[id] != nil { return id }
        return reference.orgs.values.first { $0.code == t }?.id
    }

    func plan(_ input: PlanInput) async throws -> (meeting: Meeting, carried: Int) {
        let actor = try req.requireActor()
        guard CoordinationAccess.mayConveneAny(actor) else { throw Self.forbidden }
        let kind: MeetingKind = try DeliberationsService.parse(input.kind, "kind") ?? CoordinationAccess.defaultKind(for: actor)
        let reference = try await req.caseReference()
        var area = input.area.flatMap { reference.areasByCode[$0.trimmingCharacters(in: .whitespaces)] }
        if area == nil, kind == .districtMonthly { area = reference.district }
        if let a = area, !CoordinationAccess.mayConvene(actor, kind: kind, areaPath: a.path) { area = nil }
        // An organisation not found stands as one that does not exist: refused by the invited field.
        let invited = (input.invited ?? []).map { Self.org($0, reference) ?? UUID() }
        let plan: MeetingPlan
        switch MeetingRules.validatePlan(kind: kind, title: input.title ?? "", area: area, heldAt: input.heldAt ?? "", place: input.place ?? "",
                                         invited: invited, knownOrgs: Set(reference.orgs.keys), agenda: (input.agenda ?? []).map { ($0.title ?? "", $0.links ?? []) },
                                         now: req.now) {
        case .failure(let p): throw p
        case .success(let v): plan = v
        }
        var problems: [FieldProblem] = []
        // Each link names something that exists.
        for (i, item) in plan.agenda.enumerated() {
            for link in item.links where !(try await exists(link, reference)) {
                problems.append(FieldProblem(field: "agenda", reason: LocalizedText(zh: "第 \(i + 1) 项议程：找不到 \(link.ref)", en: "agenda item \(i + 1): \(link.ref) does not exist")))
            }
        }
        guard problems.isEmpty else { throw FieldProblems(problems) }
        let meeting = Meeting(id: UUID(), kind: plan.kind, title: plan.title, areaID: plan.areaID, convenedBy: actor.org?.id, heldAt: plan.heldAt, place: plan.place,
                              invited: plan.invited, agenda: plan.agenda, createdBy: actor.user.id, createdAt: req.now)
        let (now, who) = (req.now, actor)
        let carried = try await store.create(meeting) { db in
            try await AuditStore(db: db).append(action: AuditAction.meetingChanged.rawValue, subject: Self.subject(meeting.id),
                                                detail: "planned \(meeting.kind.rawValue) \(BeijingTime.minute(meeting.heldAt)): \(meeting.title)",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return (meeting, carried.count)
    }

    static func subject(_ id: UUID) -> String { "meeting:\(id.uuidString.lowercased())" }

    private func exists(_ link: AgendaLink, _ reference: CaseReference) async throws -> Bool {
        switch link.kind {
        case .case: return (try? await CaseStore(db: req.db).find(number: link.ref, scope: nil)) != nil
        case .contract: return try await ContractStore(db: req.db).list(scope: .all).contains { $0.number == link.ref }
        case .village: return reference.areasByCode[link.ref]?.kind == .village
        case .assessment: return try await AssessmentStore(db: req.db).list(drafts: true).contains { String($0.year) == link.ref }
        }
    }

    func find(_ id: String?) async throws -> Meeting {
        let actor = try req.requireActor()
        guard let id = id.flatMap(UUID.init(uuidString:)), let m = try await store.find(id), CoordinationAccess.maySee(actor, m) else { throw MeetingStore.notFound }
        return m
    }

    func list() async throws -> [Meeting] {
        let actor = try req.requireActor()
        return try await store.list().filter { CoordinationAccess.maySee(actor, $0) }
    }

    struct MinutesInput: Content {
        /// Organisations' codes or ids.
        var attended: [String]?
        var decisions: [String]?
        var minutes: String?
        var actions: [Action]?

        struct Action: Content {
            var title: String?
            /// The owner organisation's code or id.
            var owner: String?
            var dueDate: String?
        }
    }

    func minute(_ id: String?, _ input: MinutesInput) async throws -> Meeting {
        let actor = try req.requireActor()
        let m = try await find(id)
        guard CoordinationAccess.mayManage(actor, m) else { throw DomainError.forbidden(LocalizedText(zh: "只有召集单位形成纪要", en: "the convener records the minutes")) }
        let reference = try await req.caseReference()
        let attended = (input.attended ?? []).map { Self.org($0, reference) ?? UUID() }
        let actions = (input.actions ?? []).map { ActionInput(title: $0.title ?? "", owner: $0.owner.flatMap { Self.org($0, reference) } ?? ($0.owner?.isEmpty == false ? UUID() : nil),
                                                             dueDate: $0.dueDate ?? "") }
        let minutes: MeetingMinutes
        switch MeetingRules.validateMinutes(m, attended: attended, decisions: input.decisions ?? [], minutes: input.minutes ?? "", actions: actions,
                                            calendar: reference.calendar, now: req.now) {
        case .failure(let p): throw p
        case .success(let v): minutes = v
        }
        let (now, who) = (req.now, actor)
        let done = try await store.minute(m, minutes, at: now) { db, made in
            try await AuditStore(db: db).append(action: AuditAction.meetingChanged.rawValue, subject: Self.subject(m.id),
                                                detail: "minuted: \(minutes.attended.count) attended, \(minutes.decisions.count) decisions, actions \(made.map(\.number).joined(separator: ", "))",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            // Each owner is told of its action item.
            try await CaseStore(db: db).addNotifications(made.map { a in
                NotificationRow(orgId: a.ownerOrg, caseId: nil, kind: "action-item", text: LocalizedText(
                    zh: "\(m.title) 交办任务 \(a.number)：\(a.title)（\(a.dueDate) 前完成）", en: "\(m.title) gave you action \(a.number): \(a.title) (due \(a.dueDate))"), createdAt: now)
            })
        }
        guard done else { throw DomainError.conflict(LocalizedText(zh: "纪要已形成", en: "the minutes are already recorded")) }
        return try await store.find(m.id) ?? m
    }

    // MARK: Action items

    /// The action items the caller sees: its own organisation's; a convener's meetings'; all for the district office and auditors.
    func actionItems(openOnly: Bool) async throws -> [(ActionItem, Meeting)] {
        let actor = try req.requireActor()
        let meetings = Dictionary(uniqueKeysWithValues: try await store.list(limit: 10_000).map { ($0.id, $0) })
        return try await store.items(openOnly: openOnly).compactMap { item in
            guard let m = meetings[item.meetingID], CoordinationAccess.maySee(actor, item, meeting: m) else { return nil }
            return (item, m)
        }
    }

    func actionItem(_ id: String?) async throws -> (ActionItem, Meeting) {
        let actor = try req.requireActor()
        guard let id = id.flatMap(UUID.init(uuidString:)), let item = try await store.item(id), let m = try await store.find(item.meetingID),
              CoordinationAccess.maySee(actor, item, meeting: m) else { throw MeetingStore.itemNotFound }
        return (item, m)
    }

    func complete(_ id: String?, note: String?) async throws -> ActionItem {
        let actor = try req.requireActor()
        let (item, m) = try await actionItem(id)
        guard CoordinationAccess.mayComplete(actor, item, meeting: m) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有责任单位或召集单位可以办结", en: "the owner or the convener marks it done"))
        }
        let text = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let p = MeetingRules.validateDone(note: text) { throw FieldProblems([p]) }
        let now = req.now
        let done = try await store.complete(item.id, by: actor.user.id, note: text, at: now) { db in
            try await AuditStore(db: db).append(action: AuditAction.meetingChanged.rawValue, subject: "action-item:\(item.id.uuidString.lowercased())",
                                                detail: "done \(item.number): \(text)", actorID: actor.user.id, actorName: actor.user.displayName, at: now)
        }
        guard done else { throw DomainError.conflict(LocalizedText(zh: "该任务已办结", en: "the action is already done")) }
        return try await store.item(item.id) ?? item
    }
}

/// Reminds owners the working day before an action item is due (催办) and puts it under supervision once overdue (督办),
/// telling the owner and, for supervision, the convener; run with the overdue sweep, by the lease holder.
enum ActionItemSweeper {
    @discardableResult
    static func sweep(_ app: Application, now: Date) async throws -> Int {
        let db = app.db
        let reference = try await app.caseReference.get(db)
        let store = MeetingStore(db: db)
        let today = LocalDate.beijing(now)
        var changed = 0
        var meetings: [UUID: Meeting] = [:]
        for item in try await store.items(openOnly: true) {
            let target = MeetingRules.escalation(item, today: today, calendar: reference.calendar)
            guard target > item.escalation else { continue }
            if meetings[item.meetingID] == nil { meetings[item.meetingID] = try await store.find(item.meetingID) }
            let meeting = meetings[item.meetingID]
            let convener = meeting?.convenedBy
            let done = try await store.escalate(item.id, from: item.escalation, to: target) { tx in
                var rows = [NotificationRow(orgId: item.ownerOrg, caseId: nil, kind: "action-item.\(target.name)", text: target == .supervised
                    ? LocalizedText(zh: "督办：任务 \(item.number)「\(item.title)」已超过期限 \(item.dueDate)", en: "Supervised: action \(item.number) “\(item.title)” is past its due date \(item.dueDate)")
                    : LocalizedText(zh: "催办：任务 \(item.number)「\(item.title)」将于 \(item.dueDate) 到期", en: "Reminder: action \(item.number) “\(item.title)” is due \(item.dueDate)"),
                    createdAt: now)]
                if target == .supervised, let convener, convener != item.ownerOrg {
                    rows.append(NotificationRow(orgId: convener, caseId: nil, kind: "action-item.supervised", text: LocalizedText(
                        zh: "督办：\(reference.orgs[item.ownerOrg]?.name ?? "责任单位") 的任务 \(item.number) 已逾期", en: "Supervised: action \(item.number) of \(reference.orgs[item.ownerOrg]?.displayName(.en) ?? "its owner") is overdue"),
                        createdAt: now))
                }
                try await CaseStore(db: tx).addNotifications(rows)
                try await AuditStore(db: tx).append(action: AuditAction.meetingChanged.rawValue, subject: "action-item:\(item.id.uuidString.lowercased())",
                                                    detail: "\(target.name) \(item.number) (due \(item.dueDate))", actorID: nil, actorName: "system", at: now)
            }
            if done { changed += 1 }
        }
        return changed
    }
}

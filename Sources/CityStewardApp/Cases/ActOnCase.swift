import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import SQLKit
import Vapor

/// One workflow action on one case, by one actor: the Core state machine decides, the store writes the new state
/// and the event row together only if nobody changed the case meanwhile (else 409 with the current state).
struct ActOnCase {
    struct Input: Sendable {
        var action: CaseAction
        var note: String?
        var hours: Double?
        /// `dispatch`: send to this org instead of the routed party.
        var responsibleID: UUID?
        /// `file`: the corrected category (re-routes and resets the deadline from the report time).
        var category: String?
        /// `merge`: the case this one duplicates (id or number).
        var mergeInto: String?
        var position: GeoPoint?
        var photos: [(data: Data, role: PhotoRole)] = []
        /// The revision the caller saw (optional; when given, a stale view is a 409 even if the action would fit).
        var expectedRevision: Int?
    }

    let app: Application
    let db: any Database

    init(request: Request) {
        app = request.application
        db = request.db
    }

    init(app: Application) {
        self.app = app
        db = app.db
    }

    /// Who acts: a signed-in user, or the resident who reported the case (holding its tracking link).
    enum Party {
        case staff(Actor)
        case reporter(ResidentReportRow)

        var actorID: UUID? {
            if case .staff(let a) = self { return a.user.id }
            return nil
        }

        var name: String {
            switch self {
            case .staff(let a): a.user.displayName
            case .reporter(let r): r.phoneMasked.map { "报告人 \($0)" } ?? "报告人"
            }
        }
    }

    func run(caseID: UUID, input: Input, actor: Actor, now: Date) async throws -> CaseRow {
        try await run(caseID: caseID, input: input, party: .staff(actor), now: now)
    }

    /// The reporter's own action (reopening); the tracking link has already identified the case.
    func run(caseID: UUID, input: Input, reporter: ResidentReportRow, now: Date) async throws -> CaseRow {
        try await run(caseID: caseID, input: input, party: .reporter(reporter), now: now)
    }

    private func run(caseID: UUID, input: Input, party: Party, now: Date) async throws -> CaseRow {
        let store = CaseStore(db: db)
        let reference = try await app.caseReference.get(db)
        let scope: CaseScope?
        let capacities: Set<CaseCapacity>
        var row: CaseRow
        switch party {
        case .staff(let actor):
            scope = CaseAccess.scope(for: actor)
            row = try await store.find(caseID, scope: scope)
            capacities = CaseAccess.capacities(of: actor, on: row.parties)
        case .reporter(let report):
            guard report.caseId == caseID else { throw CaseStore.notFound }
            scope = nil
            row = try await store.find(caseID, scope: nil)
            capacities = [.reporter]
        }
        if let expected = input.expectedRevision, expected != row.revision {
            throw CaseConflict(error: .conflict(LocalizedText(zh: "案件已被他人更新，请刷新后重试", en: "the case was changed by someone else; reload and retry")),
                               state: row.caseState, revision: row.revision)
        }
        let before = row
        let limit = reference.taxonomy.eventCategory(row.categoryCode)?.limit(row.caseUrgency)
        let next: CaseSnapshot
        do {
            next = try CaseWorkflow.decide(input.action, on: row.snapshot, as: capacities, by: party.actorID ?? row.reporterId ?? UUID(),
                                           input: CaseActionInput(note: input.note, hours: input.hours, limit: limit), now: now,
                                           calendar: reference.calendar)
        } catch {
            if case .conflict = error { throw CaseConflict(error: error, state: row.caseState, revision: row.revision) }
            throw error
        }
        row.apply(next)
        row.updatedAt = now
        var detail: [String: String] = [:]
        var notifications: [NotificationRow] = []

        switch input.action {
        case .file:
            if let code = input.category, code != row.categoryCode {
                guard let category = reference.taxonomy.eventCategory(code) else {
                    throw DomainError.invalid("category", zh: "没有类别代码 \(code)", en: "unknown category \(code)")
                }
                guard let area = reference.areas[row.areaId] else { throw CaseStore.notFound }
                let decision = reference.route(category, at: area, now: now)
                detail["category"] = "\(row.categoryCode)→\(code)"
                row.categoryCode = category.code
                row.categoryVersion = reference.taxonomy.version(of: code)
                row.categoryName = category.name
                row.categoryNameEn = category.nameEn
                row.deadline = (category.limit(row.caseUrgency) ?? TimeLimit(amount: 1, unit: .workingDays)).deadline(from: row.reportedAt, on: reference.calendar)
                row.ownerDepartmentId = category.ownerDepartment.flatMap { reference.departments[$0]?.id }
                setRouting(&row, decision)
            }
        case .dispatch:
            if let target = input.responsibleID, target != row.responsibleId {
                guard let org = reference.orgs[target], org.kind != .shareholdingCompany, org.kind != .partyCommittee else {
                    throw DomainError.invalid("responsible", zh: "没有可派遣的单位 \(target)", en: "no organisation \(target) to dispatch to")
                }
                guard let reason = input.note, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw DomainError.invalid("note", zh: "人工改派需要填写原因", en: "dispatching by hand needs a reason")
                }
                row.responsibleId = org.id
                row.responsibleName = org.name
                row.responsibleKind = org.kind.rawValue
                row.routingRule = RoutingRule.manual.rawValue
                row.routingExplanationZh = "由\(party.name)人工派给\(org.name)：\(reason)"
                row.routingExplanationEn = "dispatched by hand to \(org.nameEn ?? org.name) by \(party.name): \(reason)"
                row.contractReference = nil
                detail["responsible"] = org.id.uuidString
            } else if before.caseState == .returned {
                throw DomainError.invalid("responsible", zh: "回退的案件需要改派给其他单位", en: "a returned case must be dispatched to another party")
            }
            notifications.append(NotificationRow(orgId: row.responsibleId, caseId: row.id, kind: "dispatched", text: LocalizedText(
                zh: "派遣：\(row.number) \(row.categoryName)（\(row.areaName)），时限 \(BeijingTime.minute(row.deadline))",
                en: "Dispatched: \(row.number) \(row.categoryNameEn) (\(row.areaName)), due \(BeijingTime.minute(row.deadline))"), createdAt: now))
        case .merge:
            guard let target = input.mergeInto, !target.isEmpty else {
                throw DomainError.invalid("mergeInto", zh: "请指定要合并到的案件", en: "name the case to merge into")
            }
            let into: CaseRow
            if let targetID = UUID(uuidString: target) { into = try await store.find(targetID, scope: scope) } else { into = try await store.find(number: target, scope: scope) }
            guard into.id != row.id, into.caseState != .rejected else {
                throw DomainError.invalid("mergeInto", zh: "不能合并到该案件", en: "cannot merge into that case")
            }
            row.mergedInto = into.id
            detail["mergedInto"] = into.number
        case .close:
            row.closedAt = now
        case .reopen:
            row.closedAt = nil
            notifications.append(NotificationRow(orgId: row.responsibleId, caseId: row.id, kind: "reopened", text: LocalizedText(
                zh: "报告人不满意，重新办理：\(row.number) \(row.categoryName)，时限 \(BeijingTime.minute(row.deadline))",
                en: "Reopened by the reporter: \(row.number) \(row.categoryNameEn), due \(BeijingTime.minute(row.deadline))"), createdAt: now))
        case .handle, .returnCase:
            if let dispatcher = dispatcherOrg(row, reference) {
                notifications.append(NotificationRow(orgId: dispatcher, caseId: row.id, kind: input.action.rawValue, text: LocalizedText(
                    zh: "\(input.action.label.zh)：\(row.number) \(row.categoryName)", en: "\(input.action.label.en): \(row.number) \(row.categoryNameEn)"), createdAt: now))
            }
        case .requestPostpone, .requestSuspend:
            if let dispatcher = dispatcherOrg(row, reference) {
                notifications.append(NotificationRow(orgId: dispatcher, caseId: row.id, kind: input.action.rawValue, text: LocalizedText(
                    zh: "待审批\(input.action == .requestPostpone ? "延期" : "挂账")：\(row.number)", en: "To approve (\(input.action.rawValue)): \(row.number)"), createdAt: now))
            }
            if let hours = input.hours { detail["hours"] = String(hours) }
        case .supervise:
            notifications.append(NotificationRow(orgId: row.responsibleId, caseId: row.id, kind: "supervised", text: LocalizedText(
                zh: "督办：\(row.number) \(row.categoryName)", en: "Under supervision: \(row.number) \(row.categoryNameEn)"), createdAt: now))
        default:
            break
        }
        if next.deadline != before.deadline {
            let deadlineText: String = Timestamp.iso(row.deadline)
            detail["deadline"] = deadlineText
        }

        let prepared = try PreparedPhoto.prepare(input.photos, policy: .standard)
        let seq = try await store.nextEventSeq(of: row.id)
        let event = CaseEventRow(caseId: row.id, seq: seq, action: input.action.rawValue, fromState: before.state, toState: row.state,
                                 actorId: party.actorID, actorName: party.name, at: now, note: input.note,
                                 lat: input.position?.lat, long: input.position?.long, detail: detail.isEmpty ? nil : ReportCase.detail(detail))
        let photos = prepared.map {
            CasePhotoRow(caseId: row.id, eventSeq: seq, role: $0.role.rawValue, hash: $0.hash, publicHash: $0.publicHash,
                         format: $0.format.rawValue, bytes: $0.original.count, createdAt: now)
        }
        let created = prepared.isEmpty ? [] : try await app.photoStorage.write(prepared)
        let won: Bool
        do {
            let caseID = row.id
            let also: (@Sendable (any SQLDatabase) async throws -> Void)? = input.action == .reopen
                ? { @Sendable sql in try await ResidentReportStore.countReopen(caseID: caseID, on: sql) } : nil
            won = try await store.update(row, expectedRevision: before.revision, event: event, photos: photos, notifications: notifications,
                                         also: also)
        } catch {
            await app.photoStorage.remove(created)
            throw error
        }
        guard won else {
            await app.photoStorage.remove(created)
            let current = try await store.find(row.id, scope: nil)
            throw CaseConflict(error: .conflict(LocalizedText(
                zh: "案件刚被他人处理，当前为“\(current.caseState.label.zh)”", en: "someone acted on the case first; it is now \(current.caseState.label.en.lowercased())")),
                state: current.caseState, revision: current.revision)
        }
        row.revision = before.revision + 1
        return row
    }

    func setRouting(_ row: inout CaseRow, _ decision: RoutingDecision) {
        row.responsibleId = decision.responsible.id
        row.responsibleName = decision.responsible.name
        row.responsibleKind = decision.responsible.kind.rawValue
        row.routingRule = decision.rule.rawValue
        row.routingExplanationZh = decision.explanation.zh
        row.routingExplanationEn = decision.explanation.en
        row.contractReference = decision.entrustment?.contractReference
    }

    /// The dispatch centre for a case: the steward holding its village, else its street office.
    func dispatcherOrg(_ row: CaseRow, _ reference: CaseReference) -> UUID? {
        if let village = row.villageId, let steward = reference.entrustments.first(where: { $0.areaID == village })?.steward.id { return steward }
        return row.streetId.flatMap { reference.streetOffices[$0]?.id }
    }
}

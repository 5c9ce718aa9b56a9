import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Inspection checklists and inspections (巡检, issue 18 §4), and who within the responsible organisation a case is
/// given to (§5). A failed item opens a case (the intake use case: routed like any other, with the item's photo and
/// the inspector's position), linked to its component and — when routing made the steward responsible — given to the
/// steward's repair team, whose members are notified; the inspector's signature closes the round (its task is done). One use case per verb, for the console and
/// the API alike.
struct InspectionService {
    let req: Request

    var store: InspectionStore { InspectionStore(db: req.db) }

    // MARK: Checklists

    /// Component classes a checklist can be for: those with a matter class of the same code, so a failed item can open a case.
    func checkableComponents() async throws -> [String: String] {
        let reference = try await req.caseReference()
        var out: [String: String] = [:]
        for c in reference.taxonomy.categories where c.kind == .component && reference.taxonomy.eventCategory(c.code) != nil {
            out[c.code] = c.displayName(req.language)
        }
        return out
    }

    func checklists(component: String? = nil) async throws -> [ChecklistRow] {
        _ = try OperationsService(req: req).actor()
        return try await store.checklists(component: component)
    }

    func checklist(_ id: String) async throws -> ChecklistRow {
        _ = try OperationsService(req: req).actor()
        guard let uuid = UUID(uuidString: id) else { throw InspectionStore.checklistNotFound }
        return try await store.checklist(uuid)
    }

    func createChecklist(name: String, component: String, items: [ChecklistItem]) async throws -> ChecklistRow {
        let (actor, _) = try OperationsService(req: req).actor()
        guard OperationsAccess.mayPlanAny(actor) else { throw OperationsService.planningForbidden }
        let terms: ChecklistTerms
        switch ChecklistRules.validate(name: name, component: component.trimmingCharacters(in: .whitespaces), items: items,
                                       components: Set(try await checkableComponents().keys)) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let made = try await InspectionStore(db: tx).create(terms, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.planChanged.rawValue, subject: "checklist:\(made.id.uuidString.lowercased())",
                                                detail: "checklist \(terms.name) for \(terms.component): \(terms.items.count) items", actorID: who.user.id,
                                                actorName: who.user.displayName, at: now)
            return made
        }
    }

    // MARK: Inspections

    struct Answer: Sendable {
        var value: String
        var photo: Data?
    }

    struct Recorded {
        var inspection: InspectionRow
        var asset: AssetRow
        var checklist: ChecklistRow
        /// False when the same form was sent again: nothing new was stored.
        var created: Bool
    }

    /// The steward serving a component's area (or the nearest area above it).
    func steward(of asset: AssetRow) async throws -> UUID? {
        let reference = try await req.caseReference()
        let served = try await TeamStore(db: req.db).stewardAreas(at: req.now)
        guard let area = reference.areas[asset.areaId] else { return nil }
        return ([area.id] + area.path.reversed()).lazy.compactMap { served[$0] }.first
    }

    func record(asset assetID: String, checklist checklistID: String, answers: [Answer], signature: String, position: GeoPoint?,
                task taskID: String?, idempotencyKey: String?) async throws -> Recorded {
        let (actor, _) = try OperationsService(req: req).actor()
        let asset = try await AssetService(req: req).asset(assetID)
        guard let steward = try await steward(of: asset),
              let worker = OperationsAccess.worker(actor, stewardID: steward, teams: try await TeamStore(db: req.db).teams(of: actor.user.id)) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有负责该部件的管家企业人员可以巡检", en: "only the people of the steward looking after this component inspect it"))
        }
        let key = idempotencyKey.map { "\(actor.user.id.uuidString.lowercased()):\($0)" }
        if let key, let existing = try await store.inspection(idempotencyKey: key) {
            return Recorded(inspection: existing, asset: asset, checklist: try await store.checklist(existing.checklistId), created: false)
        }
        guard let checklistUUID = UUID(uuidString: checklistID), let checklist = try? await store.checklist(checklistUUID) else {
            throw DomainError.refused("checklist", zh: "没有这个检查表", en: "no such checklist")
        }
        guard checklist.componentCode == asset.componentCode else {
            throw DomainError.refused("checklist", zh: "该检查表不适用于此类部件", en: "this checklist is not for this kind of component")
        }
        var task: WorkTaskRow?
        if let taskID, !taskID.isEmpty {
            guard let uuid = UUID(uuidString: taskID), let row = try? await WorkPlanStore(db: req.db).task(uuid, .steward(steward)) else {
                throw DomainError.refused("task", zh: "没有这项任务", en: "no such task")
            }
            task = row
        }
        let terms = checklist.terms
        let results: [InspectionResult]
        switch InspectionRules.judge(terms, answers: answers.map { InspectionAnswer(value: $0.value, hasPhoto: $0.photo != nil) }, signature: signature,
                                     inspector: actor.user.displayName) {
        case .failure(let problems): throw problems
        case .success(let r): results = r
        }
        // Photos are checked before anything is stored (a bad one refuses the whole form).
        for (i, a) in answers.enumerated() { if let photo = a.photo { _ = try PreparedPhoto.prepare([(photo, .report)], policy: .standard).first.map { _ in i } } }
        let id = UUID()
        let now = req.now
        // A failed item opens a case through the one intake: routed like any other. Its idempotency key is the
        // inspection's, so a form resent after a failure below opens nothing twice.
        var opened: [Case] = []
        let intake = ReportCase(request: req)
        let base = key ?? id.uuidString.lowercased()
        for result in results where !result.passed {
            let report = CaseReport(category: asset.componentCode, position: position ?? asset.position, placeCode: nil,
                                    description: result.describe(terms.name, unit: terms.items[result.item].unit) + "（\(asset.code) \(asset.name)）", urgency: nil)
            let photos = answers[result.item].photo.map { [($0, PhotoRole.report)] } ?? []
            opened.append(try await intake.run(ReportCase.Input(report: report, source: .patrol, photos: photos, idempotencyKey: "inspection:\(base):\(result.item)"),
                                               actor: actor, now: now).saved)
        }
        // The round: done with the signature.
        var nextTask: WorkTask?
        if let r = task, r.task.state.isOpen, case .success(let t) = WorkTaskWorkflow.apply(r.task, .complete(note: "巡检签字：\(terms.name)"), by: worker, now: now) {
            nextTask = t
        }
        let teams = try await TeamStore(db: req.db).list(orgs: [steward])
        let repair = InspectionRouting.repairTeam(teams.compactMap { t in TeamKind(rawValue: t.row.kind).map { (t.row.id, t.row.name, $0) } })
        let members = teams.first { $0.row.id == repair }?.members ?? []
        let row = InspectionRow(id: id, checklistId: checklist.id, assetId: asset.id, taskId: task?.id, orgId: steward, areaPath: asset.areaPath, userId: actor.user.id,
                                signature: signature.trimmingCharacters(in: .whitespaces), signedAt: now, lat: position?.lat, long: position?.long,
                                results: String(decoding: try JSONEncoder().encode(results), as: UTF8.self), failed: results.filter { !$0.passed }.count,
                                caseNumbers: opened.map(\.number).joined(separator: ","), idempotencyKey: key)
        let (who, cases, wasTask, changed) = (actor, opened, task, nextTask)
        try await req.db.writeTransaction { tx in
            try await InspectionStore(db: tx).insert(row)
            for c in cases {
                try await AssetStore(db: tx).link(case: c.id, to: asset.id, by: who.user.id, at: now)
                // Routed like any case: the repair team gets it when the routing made the steward responsible.
                if let repair, c.responsible.id == steward {
                    try await InspectionStore(db: tx).assign(case: c.id, to: .team(repair), by: who.user.id, at: now)
                    try await CaseStore(db: tx).addNotifications(members.map {
                        NotificationRow(orgId: nil, userId: $0, caseId: c.id, kind: "assigned",
                                        text: LocalizedText(zh: "案件 \(c.number) 交给您的班组：\(c.description)", en: "Case \(c.number) was given to your team: \(c.description)"),
                                        createdAt: now)
                    })
                }
            }
            if !cases.isEmpty { try await AssetStore(db: tx).setCondition(asset.id, .damaged, by: who.user.id, at: now) }
            if let r = wasTask, let n = changed { _ = try await WorkPlanStore(db: tx).save(n, was: r, at: now) }
            try await AuditStore(db: tx).append(action: AuditAction.inspectionSigned.rawValue, subject: "asset:\(asset.code)",
                                                detail: "\(terms.name): \(results.count) items, \(row.failed) failed\(cases.isEmpty ? "" : "; cases " + row.caseNumbers)",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        if wasTask != nil { req.application.patrolCache.forgetRounds() }
        return Recorded(inspection: row, asset: try await AssetStore(db: req.db).find(asset.id, .all), checklist: checklist, created: true)
    }

    // MARK: Cases given to a team or a person

    /// Gives a case to one of the responsible organisation's teams or people (nil: takes it back to the organisation).
    /// The responsible organisation's dispatcher does it, or the district office; the person or the team's members are notified.
    func assign(case caseID: UUID, to text: String?) async throws -> (row: CaseRow, assignee: CaseAssignee?) {
        let actor = try req.requireActor()
        let row = try await req.cases.find(caseID, scope: CaseAccess.scope(for: actor))
        let responsible = row.responsibleId
        guard OperationsAccess.mayPlan(actor, stewardID: responsible) else {
            throw DomainError.forbidden(LocalizedText(zh: "只有负责单位的调度员可以分派到班组或个人", en: "only the responsible organisation's dispatcher gives a case to a team or a person"))
        }
        var assignee: CaseAssignee?
        var notify: [UUID] = []
        if let text, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let parsed = CaseAssignee(text) else {
                throw DomainError.refused("assignee", zh: "assignee 应为 team:编号 或 person:编号", en: "assignee is team:ID or person:ID")
            }
            switch parsed {
            case .team(let id):
                guard let team = try await TeamStore(db: req.db).find(id), team.row.orgId == responsible else {
                    throw DomainError.refused("assignee", zh: "没有负责单位的这个班组", en: "no such team of the responsible organisation")
                }
                notify = team.members
            case .person(let id):
                guard let user = try await DirectoryStore(db: req.db).users().first(where: { $0.id == id }),
                      OperationsAccess.mayBeAssigned(user, stewardID: responsible) else {
                    throw DomainError.refused("assignee", zh: "没有负责单位的这名在职人员", en: "no such active person of the responsible organisation")
                }
                notify = [id]
            }
            assignee = parsed
        }
        guard !(CaseState(rawValue: row.state)?.isFinal ?? true) else {
            throw DomainError.conflict(zh: "案件已结束，不能再分派", en: "the case is closed and cannot be given out")
        }
        let (now, who, given, people) = (req.now, actor, assignee, notify)
        try await req.db.writeTransaction { tx in
            try await InspectionStore(db: tx).assign(case: row.id, to: given, by: who.user.id, at: now)
            try await CaseStore(db: tx).addNotifications(people.map {
                NotificationRow(orgId: nil, userId: $0, caseId: row.id, kind: "assigned",
                                text: LocalizedText(zh: "案件 \(row.number) 交给您处理：\(row.categoryName)", en: "Case \(row.number) was given to you: \(row.categoryNameEn)"), createdAt: now)
            })
        }
        return (row, assignee)
    }

    /// The open cases given to the caller or one of their teams, newest first.
    func myCases() async throws -> [CaseRow] {
        let actor = try req.requireActor()
        let teams = try await TeamStore(db: req.db).teams(of: actor.user.id)
        let ids = try await store.assignedCases(user: actor.user.id, teams: teams)
        var out: [CaseRow] = []
        for id in ids {
            guard let row = try? await req.cases.find(id, scope: CaseAccess.scope(for: actor)), !(CaseState(rawValue: row.state)?.isFinal ?? true) else { continue }
            out.append(row)
        }
        return out
    }
}

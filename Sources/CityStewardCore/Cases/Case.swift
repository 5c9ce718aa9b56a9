import Foundation

/// A case (案件) as the domain sees it: typed state, urgency, source and routing. The Store maps it to the `cases`
/// row and back; the workflow decides on it (`CaseWorkflow.apply`), the intake opens it (`CaseIntake.open`).
public struct Case: Sendable, Equatable, Identifiable {
    /// The class the case is filed under, at the taxonomy version it was filed with.
    public struct Category: Sendable, Equatable {
        public var code: String
        public var version: Int
        public var name: String
        public var nameEn: String

        public init(code: String, version: Int, name: String, nameEn: String) {
            self.code = code
            self.version = version
            self.name = name
            self.nameEn = nameEn
        }
    }

    /// Where the case is: the located area (a grid, or the deepest area a place code gives) and its village and street.
    public struct Place: Sendable, Equatable {
        public var areaID: UUID
        /// District first, the area itself last.
        public var areaPath: [UUID]
        public var areaName: String
        public var villageID: UUID?
        public var streetID: UUID?
        /// The QR place or area code the report named, if any.
        public var placeCode: String?

        public init(areaID: UUID, areaPath: [UUID], areaName: String, villageID: UUID?, streetID: UUID?, placeCode: String?) {
            self.areaID = areaID
            self.areaPath = areaPath
            self.areaName = areaName
            self.villageID = villageID
            self.streetID = streetID
            self.placeCode = placeCode
        }
    }

    /// Why the case went to whom it went to (DESIGN §5: the rule that decided is stored, so every dispatch can be explained).
    public struct Routing: Sendable, Equatable {
        public var rule: RoutingRule
        public var explanation: LocalizedText
        public var contractReference: String?

        public init(rule: RoutingRule, explanation: LocalizedText, contractReference: String?) {
            self.rule = rule
            self.explanation = explanation
            self.contractReference = contractReference
        }

        public init(_ decision: RoutingDecision) {
            self.init(rule: decision.rule, explanation: decision.explanation, contractReference: decision.entrustment?.contractReference)
        }
    }

    public var id: UUID
    /// `LH-2026-000123`; empty until the intake's commit numbers it.
    public var number: String
    public var category: Category
    public var source: CaseSource
    public var description: String
    /// Counts the case's changes; a write names the revision it read (optimistic concurrency).
    public var revision: Int
    public var position: GeoPoint
    public var place: Place
    public var responsible: PartyRef
    public var routing: Routing
    public var ownerDepartmentID: UUID?
    public var reporterID: UUID?
    public var reporterName: String?
    /// State, urgency, deadlines, pending requests: what the state machine reads and moves.
    public var workflow: CaseSnapshot
    public var duplicateOf: UUID?
    public var mergedInto: UUID?
    public var closedAt: Date?
    public var updatedAt: Date
    public var idempotencyKey: String?

    public init(id: UUID, number: String, category: Category, source: CaseSource, description: String, revision: Int, position: GeoPoint,
                place: Place, responsible: PartyRef, routing: Routing, ownerDepartmentID: UUID?, reporterID: UUID?, reporterName: String?,
                workflow: CaseSnapshot, duplicateOf: UUID?, mergedInto: UUID?, closedAt: Date?, updatedAt: Date, idempotencyKey: String?) {
        self.id = id
        self.number = number
        self.category = category
        self.source = source
        self.description = description
        self.revision = revision
        self.position = position
        self.place = place
        self.responsible = responsible
        self.routing = routing
        self.ownerDepartmentID = ownerDepartmentID
        self.reporterID = reporterID
        self.reporterName = reporterName
        self.workflow = workflow
        self.duplicateOf = duplicateOf
        self.mergedInto = mergedInto
        self.closedAt = closedAt
        self.updatedAt = updatedAt
        self.idempotencyKey = idempotencyKey
    }

    public var state: CaseState { workflow.state }
    public var urgency: Urgency { workflow.urgency }

    /// Overdue: the current step's due time has passed (only while a step is running).
    public func isOverdue(at now: Date) -> Bool { workflow.stepDue.map { now > $0 } ?? false }

    /// What access decisions look at.
    public var parties: CaseParties {
        CaseParties(responsibleID: responsible.id, areaPath: place.areaPath, ownerDepartmentID: ownerDepartmentID, reporterID: reporterID,
                    handledBy: workflow.handledBy)
    }
}

/// One row of a case's timeline: who did what, from which state to which, when, and why.
public struct CaseEvent: Sendable, Equatable {
    /// A `CaseAction`'s raw value, or `report` and `escalate`.
    public var action: String
    public var from: CaseState?
    public var to: CaseState
    public var actorID: UUID?
    public var actorName: String
    public var at: Date
    public var note: String?
    public var position: GeoPoint?
    /// What else changed (a corrected category, the new responsible party, the deadline …).
    public var detail: [String: String]

    public init(action: String, from: CaseState?, to: CaseState, actorID: UUID?, actorName: String, at: Date, note: String? = nil,
                position: GeoPoint? = nil, detail: [String: String] = [:]) {
        self.action = action
        self.from = from
        self.to = to
        self.actorID = actorID
        self.actorName = actorName
        self.at = at
        self.note = note
        self.position = position
        self.detail = detail
    }
}

/// A message for an organisation's staff about a case (the outbox relays it).
public struct StaffNotice: Sendable, Equatable {
    public var orgID: UUID?
    public var kind: String
    public var text: LocalizedText

    public init(orgID: UUID?, kind: String, text: LocalizedText) {
        self.orgID = orgID
        self.kind = kind
        self.text = text
    }
}

/// A photo of a case, its files written (content-addressed): the original and the public copy without metadata.
public struct CasePhoto: Sendable, Equatable {
    public var role: PhotoRole
    public var hash: String
    public var publicHash: String
    public var format: PhotoFormat
    public var bytes: Int

    public init(role: PhotoRole, hash: String, publicHash: String, format: PhotoFormat, bytes: Int) {
        self.role = role
        self.hash = hash
        self.publicHash = publicHash
        self.format = format
        self.bytes = bytes
    }
}

/// What one decision does to a case: the case after it, its timeline row (with the photos taken for it) and who
/// is told.
public struct CaseChange: Sendable, Equatable {
    public var after: Case
    public var event: CaseEvent
    public var notices: [StaffNotice]
    public var photos: [CasePhoto]

    public init(after: Case, event: CaseEvent, notices: [StaffNotice], photos: [CasePhoto] = []) {
        self.after = after
        self.event = event
        self.notices = notices
        self.photos = photos
    }
}

/// Who takes an action, relative to the case.
public struct CaseActor: Sendable, Equatable {
    /// nil for a resident acting through the tracking link.
    public var id: UUID?
    public var name: String
    public var capacities: Set<CaseCapacity>

    public init(id: UUID?, name: String, capacities: Set<CaseCapacity>) {
        self.id = id
        self.name = name
        self.capacities = capacities
    }
}

/// An action as asked for, with what was looked up for it (the App loads, Core decides).
public struct CaseActionRequest: Sendable {
    /// `file` with a corrected class: the class, its taxonomy version, its owner department and where it routes now.
    public struct Refile: Sendable {
        public var category: CaseCategory
        public var version: Int
        public var ownerDepartmentID: UUID?
        public var routing: RoutingDecision

        public init(category: CaseCategory, version: Int, ownerDepartmentID: UUID?, routing: RoutingDecision) {
            self.category = category
            self.version = version
            self.ownerDepartmentID = ownerDepartmentID
            self.routing = routing
        }
    }

    public var action: CaseAction
    public var note: String?
    public var hours: Double?
    public var position: GeoPoint?
    public var refile: Refile?
    /// `dispatch` by hand: the organisation chosen instead of the routed party.
    public var dispatchTo: Org?
    /// `merge`: the case this one duplicates (nil: none was named).
    public var mergeInto: Case?
    /// The roles of the photos sent with the action (`handle` needs an after photo where the class asks for one).
    public var photoRoles: [PhotoRole]

    public init(action: CaseAction, note: String? = nil, hours: Double? = nil, position: GeoPoint? = nil, refile: Refile? = nil,
                dispatchTo: Org? = nil, mergeInto: Case? = nil, photoRoles: [PhotoRole] = []) {
        self.action = action
        self.note = note
        self.hours = hours
        self.position = position
        self.refile = refile
        self.dispatchTo = dispatchTo
        self.mergeInto = mergeInto
        self.photoRoles = photoRoles
    }
}

extension CaseWorkflow {
    /// One action on one case, decided whole: the state machine's move, then what the action itself changes —
    /// a corrected class re-routes the case and restarts its deadline from the report; a dispatch by hand names
    /// the new party and why; a merge names the case it duplicates — with the timeline row and the notices.
    /// `limit` is the case's current class's time limit; `dispatchCentre` the organisation that dispatches in
    /// the case's place (the steward holding the village, else the street office); `evidence` what the class asks
    /// a handling to leave on record.
    public static func apply(_ request: CaseActionRequest, to c: Case, by actor: CaseActor, limit: TimeLimit?, dispatchCentre: UUID?,
                             evidence: HandlingEvidence = .required, now: Date, calendar: WorkingCalendar,
                             limits: StepLimits = .standard) throws(DomainError) -> CaseChange {
        let action = request.action
        let moved = try decide(action, on: c.workflow, as: actor.capacities, by: actor.id ?? c.reporterID ?? c.id,
                               input: CaseActionInput(note: request.note, hours: request.hours, limit: limit), now: now, calendar: calendar, limits: limits)
        var next = c
        next.workflow = moved
        next.updatedAt = now
        var detail: [String: String] = [:]
        var notices: [StaffNotice] = []
        func tell(_ org: UUID?, _ kind: String, zh: String, en: String) {
            notices.append(StaffNotice(orgID: org, kind: kind, text: LocalizedText(zh: zh, en: en)))
        }

        switch action {
        case .file:
            if let refile = request.refile, refile.category.code != c.category.code {
                detail["category"] = "\(c.category.code)→\(refile.category.code)"
                next.category = Case.Category(code: refile.category.code, version: refile.version, name: refile.category.name, nameEn: refile.category.nameEn)
                next.workflow.deadline = CaseIntake.handlingLimit(category: refile.category, urgency: c.urgency,
                                                                  contractHours: refile.routing.rule == .entrusted ? refile.routing.entrustment?.timeLimitHours : nil)
                    .deadline(from: c.workflow.reportedAt, on: calendar)
                next.ownerDepartmentID = refile.ownerDepartmentID
                next.responsible = refile.routing.responsible
                next.routing = Case.Routing(refile.routing)
            }
        case .dispatch:
            if let org = request.dispatchTo, org.id != c.responsible.id {
                guard org.kind != .shareholdingCompany, org.kind != .partyCommittee else {
                    throw .unprocessable(field: "responsible", LocalizedText(zh: "没有可派遣的单位 \(org.id)", en: "no organisation \(org.id) to dispatch to"))
                }
                guard let reason = request.note, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw .unprocessable(field: "note", LocalizedText(zh: "人工改派需要填写原因", en: "dispatching by hand needs a reason"))
                }
                next.responsible = PartyRef(id: org.id, name: org.name, kind: org.kind)
                next.routing = Case.Routing(rule: .manual, explanation: LocalizedText(
                    zh: "由\(actor.name)人工派给\(org.name)：\(reason)", en: "dispatched by hand to \(org.nameEn ?? org.name) by \(actor.name): \(reason)"),
                    contractReference: nil)
                detail["responsible"] = org.id.uuidString
            } else if c.state == .returned {
                throw .unprocessable(field: "responsible", LocalizedText(zh: "回退的案件需要改派给其他单位", en: "a returned case must be dispatched to another party"))
            }
            tell(next.responsible.id, "dispatched",
                 zh: "派遣：\(c.number) \(next.category.name)（\(c.place.areaName)），时限 \(BeijingTime.minute(next.workflow.deadline))",
                 en: "Dispatched: \(c.number) \(next.category.nameEn) (\(c.place.areaName)), due \(BeijingTime.minute(next.workflow.deadline))")
        case .merge:
            guard let into = request.mergeInto else {
                throw .unprocessable(field: "mergeInto", LocalizedText(zh: "请指定要合并到的案件", en: "name the case to merge into"))
            }
            guard into.id != c.id, into.state != .rejected else {
                throw .unprocessable(field: "mergeInto", LocalizedText(zh: "不能合并到该案件", en: "cannot merge into that case"))
            }
            next.mergedInto = into.id
            detail["mergedInto"] = into.number
        case .close:
            next.closedAt = now
        case .reopen:
            next.closedAt = nil
            tell(next.responsible.id, "reopened",
                 zh: "报告人不满意，重新办理：\(c.number) \(next.category.name)，时限 \(BeijingTime.minute(next.workflow.deadline))",
                 en: "Reopened by the reporter: \(c.number) \(next.category.nameEn), due \(BeijingTime.minute(next.workflow.deadline))")
        case .handle, .returnCase:
            if action == .handle {
                let missing = evidence.missing(note: request.note, photos: request.photoRoles)
                if !missing.isEmpty { throw .refused(missing) }
            }
            if let dispatchCentre {
                tell(dispatchCentre, action.rawValue, zh: "\(action.label.zh)：\(c.number) \(c.category.name)", en: "\(action.label.en): \(c.number) \(c.category.nameEn)")
            }
        case .requestPostpone, .requestSuspend:
            if let dispatchCentre {
                tell(dispatchCentre, action.rawValue, zh: "待审批\(action == .requestPostpone ? "延期" : "挂账")：\(c.number)",
                     en: "To approve (\(action.rawValue)): \(c.number)")
            }
            if let hours = request.hours { detail["hours"] = String(hours) }
        case .supervise:
            tell(next.responsible.id, "supervised", zh: "督办：\(c.number) \(c.category.name)", en: "Under supervision: \(c.number) \(c.category.nameEn)")
        case .reject, .accept, .selfHandle, .passVerification, .failVerification, .approvePostpone, .suspend, .denyRequest, .resume:
            break
        }
        if next.workflow.deadline != c.workflow.deadline { detail["deadline"] = UTCTime.iso(next.workflow.deadline) }
        let event = CaseEvent(action: action.rawValue, from: c.state, to: next.state, actorID: actor.id, actorName: actor.name, at: now,
                              note: request.note, position: request.position, detail: detail)
        return CaseChange(after: next, event: event, notices: notices)
    }
}

extension CaseWorkflow {
    /// An overdue case moved up a level (1: the dispatch centre, 2: the street office), with the timeline row and the
    /// notices; nil when it is not past that level's time or already there. `target` is who the level reaches.
    public static func escalate(_ c: Case, now: Date, calendar: WorkingCalendar, target: Org?, limits: StepLimits = .standard) -> CaseChange? {
        let level = escalationLevel(stepDue: c.workflow.stepDue, now: now, calendar: calendar, limits: limits)
        guard level > c.workflow.escalation else { return nil }
        var next = c
        next.workflow.escalation = level
        next.updatedAt = now
        let text = LocalizedText(
            zh: "超时\(level == 1 ? "提醒" : "升级")：\(c.number) \(c.category.name)（\(c.place.areaName)）已超过时限，\(level == 1 ? "请调度处理" : "已升级至街道")",
            en: "Overdue\(level == 1 ? "" : ", escalated"): \(c.number) \(c.category.nameEn) (\(c.place.areaName)) is past due\(level == 1 ? "" : "; now with the street office")")
        var notices = [StaffNotice(orgID: target?.id, kind: "overdue-\(level)", text: text)]
        if level == 2, c.responsible.id != target?.id { notices.append(StaffNotice(orgID: c.responsible.id, kind: "overdue-\(level)", text: text)) }
        let event = CaseEvent(action: "escalate", from: c.state, to: c.state, actorID: nil, actorName: "系统（超时监控）", at: now, note: text.zh,
                              detail: ["level": String(level), "to": target?.name ?? ""])
        return CaseChange(after: next, event: event, notices: notices)
    }
}

extension CaseEvent {
    /// A timeline entry's action as people read it: the workflow's actions, and the entries the system writes itself.
    public static func label(action: String) -> LocalizedText {
        if let known = CaseAction(rawValue: action) { return known.label }
        switch action {
        case "report": return LocalizedText(zh: "上报", en: "Reported")
        case "escalate": return LocalizedText(zh: "超时升级", en: "Overdue escalation")
        case "rate": return LocalizedText(zh: "居民评价", en: "Rated by the resident")
        default: return LocalizedText(zh: action, en: action)
        }
    }
}

import CityStewardCore
import Foundation

/// A case as stored (table `cases`); columns are the snake_case of these names. Written and read through SQLKit with
/// bound parameters (the intake path avoids the ORM, DESIGN §7).
public struct CaseRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var categoryCode: String
    public var categoryVersion: Int
    public var categoryName: String
    public var categoryNameEn: String
    public var urgency: String
    public var source: String
    public var description: String
    public var state: String
    public var revision: Int
    public var lat: Double
    public var long: Double
    public var areaId: UUID
    public var areaPath: String
    public var areaName: String
    public var villageId: UUID?
    public var streetId: UUID?
    public var placeCode: String?
    public var responsibleId: UUID
    public var responsibleName: String
    public var responsibleKind: String
    public var routingRule: String
    public var routingExplanationZh: String
    public var routingExplanationEn: String
    public var contractReference: String?
    public var ownerDepartmentId: UUID?
    public var reporterId: UUID?
    public var reporterName: String?
    public var reportedAt: Date
    public var deadline: Date
    public var stepDue: Date?
    public var pending: String?
    public var pendingHours: Double?
    public var suspendedAt: Date?
    public var resumeState: String?
    public var handledBy: UUID?
    public var supervised: Bool
    public var escalation: Int
    public var duplicateOf: UUID?
    public var mergedInto: UUID?
    public var closedAt: Date?
    public var updatedAt: Date
    public var idempotencyKey: String?
    // The case's milestones (`CaseMilestones`), the assessment's columns.
    public var respondedAt: Date?
    public var firstHandledAt: Date?
    public var responseHours: Double?
    public var handlingHours: Double?
    public var reworks: Int
    public var reopens: Int
    public var rating: Int?

        /// Column names, spelled out: no key conversion on the hot path.
    enum CodingKeys: String, CodingKey {
        case id
        case number
        case categoryCode = "category_code"
        case categoryVersion = "category_version"
        case categoryName = "category_name"
        case categoryNameEn = "category_name_en"
        case urgency
        case source
        case description
        case state
        case revision
        case lat
        case long
        case areaId = "area_id"
        case areaPath = "area_path"
        case areaName = "area_name"
        case villageId = "village_id"
        case streetId = "street_id"
        case placeCode = "place_code"
        case responsibleId = "responsible_id"
        case responsibleName = "responsible_name"
        case responsibleKind = "responsible_kind"
        case routingRule = "routing_rule"
        case routingExplanationZh = "routing_explanation_zh"
        case routingExplanationEn = "routing_explanation_en"
        case contractReference = "contract_reference"
        case ownerDepartmentId = "owner_department_id"
        case reporterId = "reporter_id"
        case reporterName = "reporter_name"
        case reportedAt = "reported_at"
        case deadline
        case stepDue = "step_due"
        case pending
        case pendingHours = "pending_hours"
        case suspendedAt = "suspended_at"
        case resumeState = "resume_state"
        case handledBy = "handled_by"
        case supervised
        case escalation
        case duplicateOf = "duplicate_of"
        case mergedInto = "merged_into"
        case closedAt = "closed_at"
        case updatedAt = "updated_at"
        case idempotencyKey = "idempotency_key"
        case respondedAt = "responded_at"
        case firstHandledAt = "first_handled_at"
        case responseHours = "response_hours"
        case handlingHours = "handling_hours"
        case reworks
        case reopens
        case rating
    }

public init(id: UUID, number: String, categoryCode: String, categoryVersion: Int, categoryName: String, categoryNameEn: String, urgency: String, source: String, description: String, state: String, revision: Int, lat: Double, long: Double, areaId: UUID, areaPath: String, areaName: String, villageId: UUID?, streetId: UUID?, placeCode: String?, responsibleId: UUID, responsibleName: String, responsibleKind: String, routingRule: String, routingExplanationZh: String, routingExplanationEn: String, contractReference: String?, ownerDepartmentId: UUID?, reporterId: UUID?, reporterName: String?, reportedAt: Date, deadline: Date, stepDue: Date?, pending: String?, pendingHours: Double?, suspendedAt: Date?, resumeState: String?, handledBy: UUID?, supervised: Bool, escalation: Int, duplicateOf: UUID?, mergedInto: UUID?, closedAt: Date?, updatedAt: Date, idempotencyKey: String?, milestones m: CaseMilestones = CaseMilestones()) {
        self.id = id
        self.number = number
        self.categoryCode = categoryCode
        self.categoryVersion = categoryVersion
        self.categoryName = categoryName
        self.categoryNameEn = categoryNameEn
        self.urgency = urgency
        self.source = source
        self.description = description
        self.state = state
        self.revision = revision
        self.lat = lat
        self.long = long
        self.areaId = areaId
        self.areaPath = areaPath
        self.areaName = areaName
        self.villageId = villageId
        self.streetId = streetId
        self.placeCode = placeCode
        self.responsibleId = responsibleId
        self.responsibleName = responsibleName
        self.responsibleKind = responsibleKind
        self.routingRule = routingRule
        self.routingExplanationZh = routingExplanationZh
        self.routingExplanationEn = routingExplanationEn
        self.contractReference = contractReference
        self.ownerDepartmentId = ownerDepartmentId
        self.reporterId = reporterId
        self.reporterName = reporterName
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
        self.duplicateOf = duplicateOf
        self.mergedInto = mergedInto
        self.closedAt = closedAt
        self.updatedAt = updatedAt
        self.idempotencyKey = idempotencyKey
        (respondedAt, firstHandledAt, responseHours, handlingHours) = (m.respondedAt, m.handledAt, m.responseHours, m.handlingHours)
        (reworks, reopens, rating) = (m.reworks, m.reopens, m.rating)
    }

    public var milestones: CaseMilestones {
        CaseMilestones(respondedAt: respondedAt, handledAt: firstHandledAt, responseHours: responseHours, handlingHours: handlingHours,
                       reworks: reworks, reopens: reopens, rating: rating)
    }

    public var caseState: CaseState { CaseState(rawValue: state) ?? .reported }
    public var caseUrgency: Urgency { Urgency(rawValue: urgency) ?? .normal }
    public var position: GeoPoint { GeoPoint(lat: lat, long: long) }

    public var snapshot: CaseSnapshot {
        CaseSnapshot(state: caseState, urgency: caseUrgency, reportedAt: reportedAt, deadline: deadline, stepDue: stepDue,
                     pending: pending.flatMap(PendingRequest.init(rawValue:)), pendingHours: pendingHours, suspendedAt: suspendedAt,
                     resumeState: resumeState.flatMap(CaseState.init(rawValue:)), handledBy: handledBy, supervised: supervised,
                     escalation: escalation, milestones: milestones)
    }

    public mutating func apply(_ s: CaseSnapshot) {
        state = s.state.rawValue
        deadline = s.deadline
        stepDue = s.stepDue
        pending = s.pending?.rawValue
        pendingHours = s.pendingHours
        suspendedAt = s.suspendedAt
        resumeState = s.resumeState?.rawValue
        handledBy = s.handledBy
        supervised = s.supervised
        escalation = s.escalation
        (respondedAt, firstHandledAt, responseHours, handlingHours) = (s.milestones.respondedAt, s.milestones.handledAt, s.milestones.responseHours, s.milestones.handlingHours)
        (reworks, reopens, rating) = (s.milestones.reworks, s.milestones.reopens, s.milestones.rating)
    }

    public var parties: CaseParties {
        CaseParties(responsibleID: responsibleId, areaPath: Area.decodePath(areaPath), ownerDepartmentID: ownerDepartmentId,
                    reporterID: reporterId, handledBy: handledBy)
    }

    /// Overdue: the current step's due time has passed (only while a step is running).
    public func isOverdue(at now: Date) -> Bool { stepDue.map { now > $0 } ?? false }

    public var routingExplanation: LocalizedText { LocalizedText(zh: routingExplanationZh, en: routingExplanationEn) }
}

/// One step of a case's history (table `case_events`).
public struct CaseEventRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var caseId: UUID
    public var seq: Int
    public var action: String
    public var fromState: String?
    public var toState: String
    public var actorId: UUID?
    public var actorName: String
    public var at: Date
    public var note: String?
    public var lat: Double?
    public var long: Double?
    /// JSON with what else the step carried (postponement hours, new responsible party, escalation level …).
    public var detail: String?

        /// Column names, spelled out: no key conversion on the hot path.
    enum CodingKeys: String, CodingKey {
        case id
        case caseId = "case_id"
        case seq
        case action
        case fromState = "from_state"
        case toState = "to_state"
        case actorId = "actor_id"
        case actorName = "actor_name"
        case at
        case note
        case lat
        case long
        case detail
    }

public init(id: UUID = .timeOrdered(), caseId: UUID, seq: Int, action: String, fromState: String?, toState: String, actorId: UUID?,
                actorName: String, at: Date, note: String?, lat: Double? = nil, long: Double? = nil, detail: String? = nil) {
        self.id = id
        self.caseId = caseId
        self.seq = seq
        self.action = action
        self.fromState = fromState
        self.toState = toState
        self.actorId = actorId
        self.actorName = actorName
        self.at = at
        self.note = note
        self.lat = lat
        self.long = long
        self.detail = detail
    }
}

/// A stored photo of a case (table `case_photos`): the original under `hash`, the public copy under `publicHash`.
public struct CasePhotoRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var caseId: UUID
    public var eventSeq: Int
    public var role: String
    public var hash: String
    public var publicHash: String
    public var format: String
    public var bytes: Int
    public var createdAt: Date

    /// A picture of the problem as reported or as fixed: what a public list may show of a case.
    public var showsTheProblem: Bool { role == PhotoRole.report.rawValue || role == PhotoRole.after.rawValue }

        /// Column names, spelled out: no key conversion on the hot path.
    enum CodingKeys: String, CodingKey {
        case id
        case caseId = "case_id"
        case eventSeq = "event_seq"
        case role
        case hash
        case publicHash = "public_hash"
        case format
        case bytes
        case createdAt = "created_at"
    }

public init(id: UUID = .timeOrdered(), caseId: UUID, eventSeq: Int, role: String, hash: String, publicHash: String, format: String,
                bytes: Int, createdAt: Date) {
        self.id = id
        self.caseId = caseId
        self.eventSeq = eventSeq
        self.role = role
        self.hash = hash
        self.publicHash = publicHash
        self.format = format
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

/// A notification waiting in the outbox (table `notifications`).
public struct NotificationRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var channel: String
    public var orgId: UUID?
    public var userId: UUID?
    public var caseId: UUID?
    public var kind: String
    public var textZh: String
    public var textEn: String
    public var createdAt: Date
    public var sentAt: Date?
    public var attempts: Int

        /// Column names, spelled out: no key conversion on the hot path.
    enum CodingKeys: String, CodingKey {
        case id
        case channel
        case orgId = "org_id"
        case userId = "user_id"
        case caseId = "case_id"
        case kind
        case textZh = "text_zh"
        case textEn = "text_en"
        case createdAt = "created_at"
        case sentAt = "sent_at"
        case attempts
    }

public init(id: UUID = .timeOrdered(), channel: String = "outbox", orgId: UUID?, userId: UUID? = nil, caseId: UUID?, kind: String,
                text: LocalizedText, createdAt: Date) {
        self.id = id
        self.channel = channel
        self.orgId = orgId
        self.userId = userId
        self.caseId = caseId
        self.kind = kind
        self.textZh = text.zh
        self.textEn = text.en
        self.createdAt = createdAt
        self.sentAt = nil
        self.attempts = 0
    }
}

/// Filters of the dispatcher's queue.
public struct CaseFilter: Sendable, Equatable {
    public var states: [CaseState]
    public var overdueAt: Date?
    public var areaID: UUID?
    public var categoryCode: String?
    public var source: CaseSource?
    public var responsibleID: UUID?
    public var supervisedOnly: Bool
    /// Open311 filters: case numbers, several classes, reported and updated time ranges (from inclusive, to exclusive).
    public var numbers: [String] = []
    public var categoryCodes: [String] = []
    public var reportedFrom: Date?
    public var reportedBefore: Date?
    public var updatedAfter: Date?
    public var updatedBefore: Date?
    /// Words the description contains (a scan of the scope's cases, bounded by the statement timeout; counts are then
    /// counted, not read from the tallies).
    public var words: String?

    public init(states: [CaseState] = [], overdueAt: Date? = nil, areaID: UUID? = nil, categoryCode: String? = nil,
                source: CaseSource? = nil, responsibleID: UUID? = nil, supervisedOnly: Bool = false) {
        self.states = states
        self.overdueAt = overdueAt
        self.areaID = areaID
        self.categoryCode = categoryCode
        self.source = source
        self.responsibleID = responsibleID
        self.supervisedOnly = supervisedOnly
    }
}

import Foundation

/// Where a case came from (数字城管 sources: 监督员巡查, 公众举报, devices, peer systems).
public enum CaseSource: String, Sendable, Codable, CaseIterable {
    case patrol     // found on patrol by staff
    case resident   // a resident's report (portal, Open311)
    case device     // a device alert (AI camera, sensor)
    case api        // another system through the API
    case hotline    // 12345 transfer
    case deliberation   // a deliberation's decision that needs work (议事协调)

    public var label: LocalizedText {
        switch self {
        case .patrol: LocalizedText(zh: "巡查发现", en: "Found on patrol")
        case .resident: LocalizedText(zh: "居民上报", en: "Resident report")
        case .device: LocalizedText(zh: "设备告警", en: "Device alert")
        case .api: LocalizedText(zh: "系统对接", en: "Partner system")
        case .hotline: LocalizedText(zh: "12345 转办", en: "12345 hotline")
        case .deliberation: LocalizedText(zh: "议事决定", en: "Deliberation decision")
        }
    }
}

/// The human reference of a case: `LH-2026-000123` (district prefix, year of the report, yearly sequence).
public enum CaseNumber {
    public static func format(year: Int, sequence: Int) -> String {
        let digits = String(sequence)
        return "LH-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The year and sequence of a number made by `format`, or nil.
    public static func parse(_ number: String) -> (year: Int, sequence: Int)? {
        let parts = number.split(separator: "-")
        guard parts.count == 3, parts[0] == "LH", parts[1].count == 4, parts[2].count >= 6,
              let year = Int(parts[1]), let sequence = Int(parts[2]), sequence > 0 else { return nil }
        return (year, sequence)
    }

    /// The smallest and largest number of a sequence range, with the width their digits share: ranges of stored
    /// numbers are asked for by text, and text orders numbers correctly only among numbers of one width.
    public static func textRanges(year: Int, _ range: ClosedRange<Int>) -> [(from: String, to: String, length: Int)] {
        var out: [(from: String, to: String, length: Int)] = []
        var low = range.lowerBound
        while low <= range.upperBound {
            let width = max(6, String(low).count)
            let widest = Int(String(repeating: "9", count: width))!
            let high = min(range.upperBound, widest)
            let from = format(year: year, sequence: low)
            out.append((from, format(year: year, sequence: high), from.count))
            low = high + 1
        }
        return out
    }
}

/// Likely duplicates: same category, within `radiusMetres` and `window` of each other (issue 3: 50 m, 48 h).
public struct DuplicateRule: Sendable {
    public var radiusMetres: Double
    public var window: TimeInterval

    public init(radiusMetres: Double = 50, window: TimeInterval = 48 * 3600) {
        self.radiusMetres = radiusMetres
        self.window = window
    }

    public static let standard = DuplicateRule()

    public func isLikelyDuplicate(category a: String, at p: GeoPoint, reportedAt t: Date,
                                  of b: String, at q: GeoPoint, reportedAt u: Date) -> Bool {
        a == b && abs(t.timeIntervalSince(u)) <= window && p.distance(to: q) <= radiusMetres
    }
}

/// A report as it arrives on any channel, before anything is stored.
public struct CaseReport: Sendable {
    public var category: String?
    public var position: GeoPoint?
    public var placeCode: String?
    public var description: String?
    public var urgency: String?

    public init(category: String?, position: GeoPoint?, placeCode: String?, description: String?, urgency: String?) {
        self.category = category
        self.position = position
        self.placeCode = placeCode
        self.description = description
        self.urgency = urgency
    }

    /// Open311 allows 4000 characters (GeoReport v2 POST description).
    public static let maxDescription = 4000

    /// Every missing or malformed field at once (400 lists them all).
    public func problems() -> [(field: String, reason: LocalizedText)] {
        var out: [(String, LocalizedText)] = []
        if (category ?? "").isEmpty {
            out.append(("category", LocalizedText(zh: "缺少类别 category", en: "category is required")))
        }
        if position == nil, (placeCode ?? "").isEmpty {
            out.append(("lat", Self.positionMissing))
        }
        if let p = position, !(p.lat >= -90 && p.lat <= 90 && p.long >= -180 && p.long <= 180) {
            out.append(("lat", LocalizedText(zh: "坐标超出范围", en: "lat/long out of range")))
        }
        let text = (description ?? "").trimmedWhitespace
        if text.isEmpty {
            out.append(("description", LocalizedText(zh: "缺少问题描述 description", en: "description is required")))
        } else if text.count > Self.maxDescription {
            out.append(("description", LocalizedText(zh: "描述不能超过 \(Self.maxDescription) 字", en: "a description is at most \(Self.maxDescription) characters")))
        }
        if let u = urgency, Urgency(rawValue: u) == nil {
            out.append(("urgency", LocalizedText(zh: "urgency 应为 normal 或 urgent", en: "urgency must be normal or urgent")))
        }
        return out
    }

    /// Neither lat/long nor a place code: each is optional on its own, so a report without both is refused by rule.
    public static let positionMissing = LocalizedText(zh: "缺少位置：lat/long 或 placeCode", en: "a position is required: lat and long, or placeCode")

    /// Throws one refusal naming every problem: 400 for fields that are malformed, 422 when the only problem is the
    /// missing position (every field as documented, the rule across them unmet).
    public func validate() throws(DomainError) {
        let problems = problems()
        guard !problems.isEmpty else { return }
        let fields = problems.map(\.field)
        if problems.allSatisfy({ $0.reason == Self.positionMissing }) {
            throw .unprocessable(field: fields.joined(separator: ","), Self.positionMissing)
        }
        throw .invalid(field: fields.joined(separator: ","), LocalizedText(
            zh: problems.map(\.reason.zh).joined(separator: "；"), en: problems.map(\.reason.en).joined(separator: "; ")))
    }
}

/// A report made into a new case (`CaseIntake.open`): the case, its first timeline rows, who is told.
public struct NewCase: Sendable {
    public var opened: Case
    public var events: [CaseEvent]
    public var notices: [StaffNotice]
    /// Each photo with the number of the event it belongs to (1: the report; an `after` photo: the on-the-spot handling).
    public var photos: [(photo: CasePhoto, eventSeq: Int)]
}

/// Opening a case from a validated report and what was looked up for it (the App locates, routes and checks for a
/// duplicate; Core decides what the new case is).
public enum CaseIntake {
    /// What the intake looked up for a report.
    public struct Located: Sendable {
        public var category: CaseCategory
        public var categoryVersion: Int
        public var ownerDepartmentID: UUID?
        /// The grid (or the place's area) and its ancestors, district first.
        public var area: Area
        public var path: [Area]
        public var position: GeoPoint
        public var routing: RoutingDecision
        /// Who dispatches in this place (told of every new report).
        public var dispatchCentre: UUID?
        /// A likely duplicate nearby (flagged for the dispatcher, never dropped).
        public var duplicateOf: UUID?

        public init(category: CaseCategory, categoryVersion: Int, ownerDepartmentID: UUID?, area: Area, path: [Area], position: GeoPoint,
                    routing: RoutingDecision, dispatchCentre: UUID?, duplicateOf: UUID?) {
            self.category = category
            self.categoryVersion = categoryVersion
            self.ownerDepartmentID = ownerDepartmentID
            self.area = area
            self.path = path
            self.position = position
            self.routing = routing
            self.dispatchCentre = dispatchCentre
            self.duplicateOf = duplicateOf
        }
    }

    /// How the report came and who made it.
    public struct Origin: Sendable {
        public var source: CaseSource
        /// A signed-in caller; nil for an anonymous resident.
        public var reporter: Actor?
        /// The name shown on the timeline (a device's code, an Open311 sender's name).
        public var reporterName: String?
        /// Handled on the spot by the reporting patroller (现场自处置), with this note.
        public var selfHandled: Bool
        public var handledNote: String?
        public var idempotencyKey: String?
        /// The resident left a contact number that could not be read (kept as written, sealed): staff are told.
        public var contactUnreadable = false

        public init(source: CaseSource, reporter: Actor?, reporterName: String?, selfHandled: Bool = false, handledNote: String? = nil,
                    idempotencyKey: String? = nil, contactUnreadable: Bool = false) {
            self.contactUnreadable = contactUnreadable
            self.source = source
            self.reporter = reporter
            self.reporterName = reporterName
            self.selfHandled = selfHandled
            self.handledNote = handledNote
            self.idempotencyKey = idempotencyKey
        }
    }

    /// The handling limit of a new case: the one its contract agreed for the matter (working hours; urgent half of
    /// it), else the category's own, else one working day.
    public static func limit(_ l: Located, _ urgency: Urgency) -> TimeLimit {
        handlingLimit(category: l.category, urgency: urgency,
                      contractHours: l.routing.rule == .entrusted ? l.routing.entrustment?.timeLimitHours : nil)
    }

    /// The one rule for a case's handling limit, at intake and whenever it is worked out again (refiling,
    /// reopening): the contract's hours for the matter when the case is the contract's, else the category's.
    public static func handlingLimit(category: CaseCategory?, urgency: Urgency, contractHours: Int?) -> TimeLimit {
        if let hours = contractHours, hours > 0 {
            return TimeLimit(amount: urgency == .urgent ? max(1, (Double(hours) / 2).rounded(.up)) : Double(hours), unit: .workingHours,
                             basis: "contract")
        }
        return category?.limit(urgency) ?? TimeLimit(amount: 1, unit: .workingDays)
    }

    /// The new case: routed, its deadline on the working calendar from `now`, the dispatch step's clock running; a
    /// self-handled report goes straight to verification (the reporter must be one who may handle it).
    public static func open(_ report: CaseReport, id: UUID, located l: Located, origin: Origin, photos: [CasePhoto] = [], now: Date,
                            calendar: WorkingCalendar, limits: StepLimits = .standard) throws(DomainError) -> NewCase {
        try report.validate()
        let urgency = report.urgency.flatMap(Urgency.init(rawValue:)) ?? .normal
        let deadline = limit(l, urgency).deadline(from: now, on: calendar)
        var workflow = CaseSnapshot(state: .reported, urgency: urgency, reportedAt: now, deadline: deadline,
                                    stepDue: limits.dispatchDue(from: now, urgency: urgency))
        let reporterName = origin.reporterName ?? origin.reporter?.user.displayName
        var events = [CaseEvent(action: "report", from: nil, to: .reported, actorID: origin.reporter?.user.id,
                                actorName: reporterName ?? origin.source.label.zh, at: now, note: report.description, position: l.position,
                                detail: ["source": origin.source.rawValue, "rule": l.routing.rule.rawValue]
                                    .merging(origin.contactUnreadable ? ["contact": "unreadable"] : [:]) { a, _ in a })]
        if origin.selfHandled {
            guard photos.contains(where: { $0.role == .before }), photos.contains(where: { $0.role == .after }) else {
                throw .unprocessable(field: "photos", LocalizedText(zh: "现场自处置需要处置前和处置后的照片", en: "handling on the spot needs a before and an after photo"))
            }
            guard let actor = origin.reporter else { throw .forbidden(LocalizedText(zh: "需要登录", en: "sign-in required")) }
            let parties = CaseParties(responsibleID: l.routing.responsible.id, areaPath: l.area.path, ownerDepartmentID: nil,
                                      reporterID: actor.user.id, handledBy: nil)
            workflow = try CaseWorkflow.decide(.selfHandle, on: workflow, as: CaseAccess.capacities(of: actor, on: parties), by: actor.user.id,
                                               input: CaseActionInput(note: origin.handledNote), now: now, calendar: calendar, limits: limits)
            events.append(CaseEvent(action: CaseAction.selfHandle.rawValue, from: .reported, to: .handled, actorID: actor.user.id,
                                    actorName: actor.user.displayName, at: now, note: origin.handledNote ?? "现场处置", position: l.position))
        }
        let opened = Case(
            id: id, number: "", category: Case.Category(code: l.category.code, version: l.categoryVersion, name: l.category.name, nameEn: l.category.nameEn),
            source: origin.source, description: report.description!.trimmedWhitespace, revision: 1, position: l.position,
            place: Case.Place(areaID: l.area.id, areaPath: l.area.path, areaName: l.area.name, villageID: l.path.first { $0.kind == .village }?.id,
                              streetID: l.path.first { $0.kind == .street }?.id, placeCode: report.placeCode),
            responsible: l.routing.responsible, routing: Case.Routing(l.routing), ownerDepartmentID: l.ownerDepartmentID,
            reporterID: origin.reporter?.user.id, reporterName: reporterName, workflow: workflow, duplicateOf: l.duplicateOf, mergedInto: nil,
            closedAt: nil, updatedAt: now, idempotencyKey: origin.idempotencyKey)
        // The dispatch centre of the place hears of every new report; the responsible party once it is dispatched.
        var notices = l.dispatchCentre.map { [StaffNotice(orgID: $0, kind: "reported", text: LocalizedText(
            zh: "新案件：\(l.category.name)（\(l.area.name)）", en: "New case: \(l.category.nameEn) (\(l.area.nameEn ?? l.area.name))"))] } ?? []
        if origin.contactUnreadable, let centre = l.dispatchCentre {
            notices.append(StaffNotice(orgID: centre, kind: "contactUnreadable", text: LocalizedText(
                zh: "新案件的居民联系电话无法识别，已按原样加密保存，回访前请核实", en: "A resident's contact number on a new case could not be read; it is kept sealed as written: check it before calling back")))
        }
        return NewCase(opened: opened, events: events, notices: notices, photos: photos.map { ($0, $0.role == .after ? events.count : 1) })
    }
}

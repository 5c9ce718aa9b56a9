import Foundation

/// What an activity for residents is (plan §3(1)(4), §6(4)): party building, publicity of safety, law or culture, or
/// an activity of the village's own theme (一村一色).
public enum ActivityKind: String, Sendable, Codable, CaseIterable {
    case partyBuilding, safety, law, culture, villageTheme

    public var label: LocalizedText {
        switch self {
        case .partyBuilding: LocalizedText(zh: "党建活动", en: "Party building")
        case .safety: LocalizedText(zh: "安全宣传", en: "Safety publicity")
        case .law: LocalizedText(zh: "普法宣传", en: "Law publicity")
        case .culture: LocalizedText(zh: "文化活动", en: "Culture")
        case .villageTheme: LocalizedText(zh: "一村一色主题活动", en: "Village theme")
        }
    }
}

/// An activity as organised: in one village, at a place residents come to (its position and radius judge a check-in
/// the way a patrol's checkpoint does), from its start to its end, with a capacity (nil: open to all).
public struct Activity: Sendable, Equatable {
    public var id: UUID
    public var kind: ActivityKind
    public var title: String
    public var description: String
    public var areaID: UUID
    public var place: String
    public var position: GeoPoint
    public var radiusMetres: Int
    public var startsAt: Date
    public var endsAt: Date
    /// Who runs it, as residents know them (民治社区党委, the steward's team …).
    public var organiser: String
    public var orgID: UUID?
    public var capacity: Int?
    /// What the QR code at the place carries: `/ac/<code>`.
    public var checkinCode: String
    public var createdBy: UUID?
    public var createdAt: Date
    public var cancelledAt: Date?
    public var cancelReason: String?
    public var outcome: String?
    public var reportedAt: Date?
    /// Sign-ups not cancelled, and of them the ones checked in (walk-ins included).
    public var signedUp: Int
    public var checkedIn: Int

    public init(id: UUID, kind: ActivityKind, title: String, description: String, areaID: UUID, place: String, position: GeoPoint, radiusMetres: Int,
                startsAt: Date, endsAt: Date, organiser: String, orgID: UUID?, capacity: Int?, checkinCode: String, createdBy: UUID?, createdAt: Date,
                cancelledAt: Date? = nil, cancelReason: String? = nil, outcome: String? = nil, reportedAt: Date? = nil, signedUp: Int = 0, checkedIn: Int = 0) {
        (self.id, self.kind, self.title, self.description, self.areaID, self.place) = (id, kind, title, description, areaID, place)
        (self.position, self.radiusMetres, self.startsAt, self.endsAt, self.organiser, self.orgID) = (position, radiusMetres, startsAt, endsAt, organiser, orgID)
        (self.capacity, self.checkinCode, self.createdBy, self.createdAt) = (capacity, checkinCode, createdBy, createdAt)
        (self.cancelledAt, self.cancelReason, self.outcome, self.reportedAt, self.signedUp, self.checkedIn) = (cancelledAt, cancelReason, outcome, reportedAt, signedUp, checkedIn)
    }

    public enum Status: String, Sendable, CaseIterable {
        case upcoming, ongoing, awaitingReport, reported, cancelled

        public var label: LocalizedText {
            switch self {
            case .upcoming: LocalizedText(zh: "报名中", en: "Upcoming")
            case .ongoing: LocalizedText(zh: "进行中", en: "On now")
            case .awaitingReport: LocalizedText(zh: "待总结", en: "Awaiting its report")
            case .reported: LocalizedText(zh: "已总结", en: "Reported")
            case .cancelled: LocalizedText(zh: "已取消", en: "Cancelled")
            }
        }
    }

    public func status(at now: Date) -> Status {
        if cancelledAt != nil { return .cancelled }
        if reportedAt != nil { return .reported }
        if now < startsAt { return .upcoming }
        return now <= endsAt ? .ongoing : .awaitingReport
    }

    /// Places left (nil: no limit).
    public var placesLeft: Int? { capacity.map { max(0, $0 - signedUp) } }

    /// Check-ins are taken from half an hour before the start to half an hour after the end.
    public var checkinOpens: Date { startsAt.addingTimeInterval(-ActivityRules.checkinLead) }
    public var checkinCloses: Date { endsAt.addingTimeInterval(ActivityRules.checkinLead) }
}

/// What an organiser writes, checked.
public struct ActivityDraft: Sendable, Equatable {
    public var kind: ActivityKind
    public var title: String
    public var description: String
    public var areaID: UUID
    public var place: String
    public var position: GeoPoint
    public var radiusMetres: Int
    public var startsAt: Date
    public var endsAt: Date
    public var organiser: String
    public var capacity: Int?
}

/// What an organiser typed: every field as text, the console's form and the API's body alike.
public struct ActivityInput: Sendable, Equatable {
    public var kind: ActivityKind
    public var title: String
    public var description: String
    public var place: String
    public var lat: String
    public var long: String
    public var radius: String
    public var startsAt: String
    public var endsAt: String
    public var organiser: String
    public var capacity: String

    public init(kind: ActivityKind, title: String, description: String, place: String, lat: String, long: String, radius: String, startsAt: String,
                endsAt: String, organiser: String, capacity: String) {
        (self.kind, self.title, self.description, self.place, self.lat, self.long, self.radius) = (kind, title, description, place, lat, long, radius)
        (self.startsAt, self.endsAt, self.organiser, self.capacity) = (startsAt, endsAt, organiser, capacity)
    }
}

/// What the resident's sign-up came to.
public enum SignupDecision: Sendable, Equatable {
    /// A new place taken.
    case signUp
    /// The same phone is already signed up: the same sign-up, nothing new.
    case already
    case refused(LocalizedText)
}

/// What a scan of the activity's code at the place came to.
public enum ActivityCheckinDecision: Sendable, Equatable {
    /// Checked in, with what looks wrong about it (flagged, never refused: a refused scan is a lost record).
    case checkIn(flags: Set<CheckinFlag>, walkIn: Bool)
    /// Checked in before: nothing new.
    case already
    case refused(LocalizedText)
}

public enum ActivityRules {
    public static let titleLimit = 60, descriptionLimit = 2_000, placeLimit = 60, organiserLimit = 60, outcomeLimit = 4_000
    public static let defaultRadius = 100
    public static let checkinLead: TimeInterval = 30 * 60
    /// How far ahead an activity may be put in the year's plan, and the longest one (an exhibition of a month).
    public static let maxLeadDays = 400, maxDays = 31
    /// An activity is organised before it starts; an hour's grace for one entered as it begins.
    public static let startGrace: TimeInterval = 3600

    /// The input checked: every problem by its field. `village` is the area chosen (nil: none the caller may organise
    /// in), `box` its outline with a margin (a place far outside is a typo).
    public static func validate(_ input: ActivityInput, village: UUID?, box: GeoBox?, now: Date) -> Result<ActivityDraft, FieldProblems> {
        var problems: [FieldProblem] = []
        func add(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        let title = trimmed(input.title), description = trimmed(input.description), place = trimmed(input.place), organiser = trimmed(input.organiser)
        if title.count < 2 || title.count > titleLimit { add("title", "请填写活动名称（2~\(titleLimit) 字）", "give a title of 2–\(titleLimit) characters") }
        if description.isEmpty || description.count > descriptionLimit {
            add("description", "请介绍活动内容（不超过 \(descriptionLimit) 字）", "describe the activity (at most \(descriptionLimit) characters)")
        }
        if village == nil { add("area", "请选择本单位负责的城中村", "choose a village your organisation serves") }
        if place.count < 2 || place.count > placeLimit { add("place", "请填写活动地点（2~\(placeLimit) 字）", "give the place (2–\(placeLimit) characters)") }
        if organiser.count < 2 || organiser.count > organiserLimit { add("organiser", "请填写组织方（2~\(organiserLimit) 字）", "name the organiser (2–\(organiserLimit) characters)") }
        var position: GeoPoint?
        if let lat = Double(trimmed(input.lat)), let long = Double(trimmed(input.long)), GeoPoint(lat: lat, long: long).isValidWGS84 {
            position = GeoPoint(lat: lat, long: long)
            if let box, !box.contains(position!) { add("position", "活动地点不在该村范围内", "the place is outside the village"); position = nil }
        } else {
            add("position", "请给出活动地点的位置（WGS84 纬度、经度）", "give the place's position (WGS84 latitude and longitude)")
        }
        var radius = defaultRadius
        if case let r = trimmed(input.radius), !r.isEmpty {
            if let v = Int(r), (20...1_000).contains(v) { radius = v } else { add("radius", "签到范围为 20~1000 米", "the check-in radius is 20 to 1,000 metres") }
        }
        var capacity: Int?
        if case let c = trimmed(input.capacity), !c.isEmpty {
            if let v = Int(c), (1...10_000).contains(v) { capacity = v } else { add("capacity", "名额为 1~10000 人，不限则留空", "places are 1 to 10,000; leave empty for no limit") }
        }
        let starts = BeijingTime.parse(input.startsAt), ends = BeijingTime.parse(input.endsAt)
        if starts == nil { add("startsAt", "开始时间应为 YYYY-MM-DD HH:MM（北京时间）", "the start is YYYY-MM-DD HH:MM (Beijing time)") }
        if ends == nil { add("endsAt", "结束时间应为 YYYY-MM-DD HH:MM（北京时间）", "the end is YYYY-MM-DD HH:MM (Beijing time)") }
        if let starts {
            if starts < now.addingTimeInterval(-startGrace) { add("startsAt", "活动须在开始前登记", "an activity is entered before it starts") }
            else if starts > now.addingTimeInterval(Double(maxLeadDays) * 86_400) { add("startsAt", "最多提前 \(maxLeadDays) 天安排", "it can be planned at most \(maxLeadDays) days ahead") }
            if let ends {
                if ends <= starts { add("endsAt", "结束时间须晚于开始时间", "it ends after it starts") }
                else if ends.timeIntervalSince(starts) > Double(maxDays) * 86_400 { add("endsAt", "一次活动最长 \(maxDays) 天", "an activity lasts \(maxDays) days at most") }
            }
        }
        guard problems.isEmpty, let village, let position, let starts, let ends else { return .failure(FieldProblems(problems)) }
        return .success(ActivityDraft(kind: input.kind, title: title, description: description, areaID: village, place: place, position: position,
                                      radiusMetres: radius, startsAt: starts, endsAt: ends, organiser: organiser, capacity: capacity))
    }

    /// A resident's name and number on the sign-up form.
    public static func validateSignup(name: String, phone: String) -> Result<(name: String, phone: PhoneNumber), FieldProblems> {
        var problems: [FieldProblem] = []
        let n = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if n.isEmpty || n.count > 20 { problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "请填写称呼（不超过 20 字）", en: "give your name (at most 20 characters)"))) }
        let number = PhoneNumber.parse(phone)
        if phone.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(field: "phone", reason: LocalizedText(zh: "请填写手机号，签到时凭此号码", en: "give your phone number: you check in with it")))
        } else if number == nil {
            problems.append(FieldProblem(field: "phone", reason: PhoneNumber.problem))
        }
        guard problems.isEmpty, let number else { return .failure(FieldProblems(problems)) }
        return .success((n, number))
    }

    /// Signing up: until the activity starts, while places are left; the same phone twice is one sign-up.
    public static func decideSignup(_ a: Activity, alreadySignedUp: Bool, now: Date) -> SignupDecision {
        if a.cancelledAt != nil { return .refused(LocalizedText(zh: "活动已取消", en: "the activity is cancelled")) }
        if alreadySignedUp { return .already }
        if now >= a.startsAt { return .refused(LocalizedText(zh: "活动已开始，报名已截止；可到现场签到", en: "it has started and sign-up is closed; you can still check in at the place")) }
        if let left = a.placesLeft, left == 0 { return .refused(LocalizedText(zh: "名额已满", en: "all places are taken")) }
        return .signUp
    }

    /// A scan at the place: from half an hour before the start to half an hour after the end, judged by the same
    /// position and clock evidence as a patrol's check-in. Someone not signed up is a walk-in (counted, marked).
    public static func decideCheckin(_ a: Activity, report: CheckinReport, signedUp: Bool, checkedIn: Bool, now: Date) -> ActivityCheckinDecision {
        if a.cancelledAt != nil { return .refused(LocalizedText(zh: "活动已取消", en: "the activity is cancelled")) }
        if checkedIn { return .already }
        if now < a.checkinOpens {
            return .refused(LocalizedText(zh: "签到从 \(BeijingTime.minute(a.checkinOpens)) 开始", en: "check-in opens at \(BeijingTime.minute(a.checkinOpens))"))
        }
        if now > a.checkinCloses { return .refused(LocalizedText(zh: "活动已结束，签到已关闭", en: "the activity is over and check-in is closed")) }
        var flags: Set<CheckinFlag> = []
        if let p = report.position {
            let allowance = min(max(report.accuracy ?? 0, 0), CheckinAssessment.maxAccuracyAllowance)
            if p.distance(to: a.position) - allowance > Double(a.radiusMetres) { flags.insert(.outsideRadius) }
        } else {
            flags.insert(.noPosition)
        }
        if let device = report.deviceTime, abs(device.timeIntervalSince(now)) > CheckinAssessment.maxClockSkew { flags.insert(.clockSkew) }
        return .checkIn(flags: flags, walkIn: !signedUp)
    }

    public static func validateCancellation(reason: String) -> FieldProblem? {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return r.count < 2 || r.count > 200 ? FieldProblem(field: "reason", reason: LocalizedText(zh: "请写明取消原因（2~200 字），报名的居民会看到", en: "give the reason (2–200 characters); those signed up see it")) : nil
    }

    /// The report afterwards: once the activity has started, what came of it in words (attendance is counted from the
    /// check-ins, never typed).
    public static func validateReport(_ a: Activity, outcome: String, now: Date) -> Result<String, FieldProblems> {
        let o = outcome.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [FieldProblem] = []
        if a.cancelledAt != nil { problems.append(FieldProblem(field: "outcome", reason: LocalizedText(zh: "活动已取消，无需总结", en: "the activity was cancelled; there is nothing to report"))) }
        else if now < a.startsAt { problems.append(FieldProblem(field: "outcome", reason: LocalizedText(zh: "活动开始后才能总结", en: "an activity is reported once it has started"))) }
        if o.count < 10 || o.count > outcomeLimit { problems.append(FieldProblem(field: "outcome", reason: LocalizedText(zh: "请写明活动成效（10~\(outcomeLimit) 字）", en: "describe what came of it (10–\(outcomeLimit) characters)"))) }
        return problems.isEmpty ? .success(o) : .failure(FieldProblems(problems))
    }
}

/// A village's cultural theme for a year (一村一色, §3(4)); its yearly plan is the village's theme activities that year.
public struct VillageTheme: Sendable, Equatable {
    public var areaID: UUID
    public var year: Int
    public var name: String
    public var summary: String
    public var setBy: UUID?
    public var setAt: Date

    public init(areaID: UUID, year: Int, name: String, summary: String, setBy: UUID?, setAt: Date) {
        (self.areaID, self.year, self.name, self.summary, self.setBy, self.setAt) = (areaID, year, name, summary, setBy, setAt)
    }

    public static func validate(name: String, summary: String, year: Int?, village: UUID?, thisYear: Int) -> Result<(name: String, summary: String, year: Int, village: UUID), FieldProblems> {
        var problems: [FieldProblem] = []
        func add(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let n = name.trimmingCharacters(in: .whitespacesAndNewlines), s = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        if n.count < 2 || n.count > 30 { add("name", "请填写主题名称（2~30 字）", "give the theme a name (2–30 characters)") }
        if s.count > 500 { add("summary", "主题介绍不超过 500 字", "the summary is at most 500 characters") }
        if village == nil { add("area", "请选择本单位负责的城中村", "choose a village your organisation serves") }
        guard let year, (thisYear...(thisYear + 1)).contains(year) else {
            add("year", "年度为今年或明年", "the year is this year or next")
            return .failure(FieldProblems(problems))
        }
        guard problems.isEmpty, let village else { return .failure(FieldProblems(problems)) }
        return .success((n, s, year, village))
    }
}

/// Who organises activities and sets themes: those who serve residents where it happens (as notices, §7(2)4).
public enum ActivityAccess {
    public static func organiseScope(for actor: Actor) -> CommunityScope { NoticeAccess.publishScope(for: actor) }

    public static func readScope(for actor: Actor) -> CommunityScope { NoticeAccess.readScope(for: actor) }

    /// Organising in a village (by its path): it lies in the caller's scope.
    public static func mayOrganise(_ actor: Actor, villagePath: [UUID]) -> Bool {
        NoticeAccess.covers(organiseScope(for: actor), path: villagePath)
    }

    /// Cancelling and reporting: the organisation that organised it, in its scope; the district office any.
    public static func mayManage(_ actor: Actor, _ a: Activity, villagePath: [UUID]) -> Bool {
        guard mayOrganise(actor, villagePath: villagePath) else { return false }
        return actor.role == .districtAdmin || (a.orgID != nil && a.orgID == actor.org?.id)
    }

    /// Seeing it in the console with its sign-ups (masked): its own organisation's, or in the caller's read scope.
    public static func maySee(_ actor: Actor, _ a: Activity, villagePath: [UUID]) -> Bool {
        let scope = readScope(for: actor)
        if scope == .nothing { return false }
        if a.orgID != nil && a.orgID == actor.org?.id { return true }
        return NoticeAccess.covers(scope, path: villagePath)
    }
}

import Foundation

/// The city's 12345 hotline (民意速办) as the district's dispatch platform hands its tickets to the steward
/// (domain-standards §7: 受理登记 → 派单 → 签收 → 办理 → 反馈 → 回访 → 归档). A ticket becomes one case, whatever how
/// often it is sent; every step the hotline needs back is queued as a push and delivered signed, in order, retried.
public enum HotlineNature: String, Sendable, Codable, CaseIterable {
    case complaint, request, report, consultation, suggestion

    public var label: LocalizedText {
        switch self {
        case .complaint: LocalizedText(zh: "投诉", en: "Complaint")
        case .request: LocalizedText(zh: "求助", en: "Request for help")
        case .report: LocalizedText(zh: "举报", en: "Report")
        case .consultation: LocalizedText(zh: "咨询", en: "Consultation")
        case .suggestion: LocalizedText(zh: "建议", en: "Suggestion")
        }
    }
}

/// A ticket as the hotline sends it.
public struct HotlineTicketInput: Sendable, Codable, Equatable {
    public var ticketNumber: String
    public var nature: String?
    /// The class (GB/T 47678.5 five-digit code) when the platform maps it; else `categoryText` is matched by name.
    public var category: String?
    public var categoryText: String?
    public var description: String
    public var lat: Double?
    public var long: Double?
    public var crs: String?
    public var placeCode: String?
    public var address: String?
    /// The hotline's own time limit for a result (its 办结时限), on top of the class's.
    public var dueAt: Date?
    public var receivedAt: Date?
    public var callerName: String?
    public var callerPhone: String?

    public init(ticketNumber: String, nature: String? = nil, category: String? = nil, categoryText: String? = nil, description: String,
                lat: Double? = nil, long: Double? = nil, crs: String? = nil, placeCode: String? = nil, address: String? = nil,
                dueAt: Date? = nil, receivedAt: Date? = nil, callerName: String? = nil, callerPhone: String? = nil) {
        self.ticketNumber = ticketNumber
        self.nature = nature
        self.category = category
        self.categoryText = categoryText
        self.description = description
        self.lat = lat
        self.long = long
        self.crs = crs
        self.placeCode = placeCode
        self.address = address
        self.dueAt = dueAt
        self.receivedAt = receivedAt
        self.callerName = callerName
        self.callerPhone = callerPhone
    }
}

/// What the hotline is told, in the order it happens.
public enum HotlineStep: String, Sendable, Codable, CaseIterable {
    /// 签收: the ticket is a case here.
    case received
    /// 办理: the responsible party marked it handled (what was done).
    case handled
    /// 反馈: the result, checked, as the answer for the caller.
    case replied
    /// 办结: the case is closed; the hotline may archive and call back.
    case closed
    /// 退单: the case was voided or merged into another; the reason goes back.
    case returned

    public var label: LocalizedText {
        switch self {
        case .received: LocalizedText(zh: "已签收", en: "Received")
        case .handled: LocalizedText(zh: "已办理", en: "Handled")
        case .replied: LocalizedText(zh: "已答复来电人", en: "Reply to the caller")
        case .closed: LocalizedText(zh: "已办结", en: "Closed")
        case .returned: LocalizedText(zh: "已退单", en: "Returned")
        }
    }
}

/// The message pushed for one step (sorted keys when encoded, so a retry is the same bytes).
public struct HotlineMessage: Sendable, Codable, Equatable {
    public var ticketNumber: String
    public var step: HotlineStep
    public var at: Date
    public var caseNumber: String
    public var caseState: String
    /// The handling note, the reply for the caller, or the reason of a return.
    public var text: String?

    public init(ticketNumber: String, step: HotlineStep, at: Date, caseNumber: String, caseState: String, text: String?) {
        self.ticketNumber = ticketNumber
        self.step = step
        self.at = at
        self.caseNumber = caseNumber
        self.caseState = caseState
        self.text = text
    }
}

public enum HotlineBridge {
    public static let maxDescription = 4000

    /// A ticket number as 12345 platforms issue them (letters, digits, hyphens).
    public static func isTicketNumber(_ text: String) -> Bool {
        (4...40).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Every problem of a ticket at once; the class is looked up by the caller (it needs the taxonomy).
    public static func problems(_ t: HotlineTicketInput) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if !isTicketNumber(t.ticketNumber) {
            out.append(FieldProblem(field: "ticketNumber", reason: LocalizedText(zh: "工单编号应为 4~40 位字母、数字或连字符", en: "a ticket number is 4–40 letters, digits or hyphens")))
        }
        if let n = t.nature, HotlineNature(rawValue: n) == nil {
            out.append(FieldProblem(field: "nature", reason: LocalizedText(zh: "诉求性质应为 \(HotlineNature.allCases.map(\.rawValue).joined(separator: "/"))",
                                                                       en: "nature is one of \(HotlineNature.allCases.map(\.rawValue).joined(separator: ", "))")))
        }
        if (t.category ?? "").isEmpty, (t.categoryText ?? "").trimmedWhitespace.isEmpty {
            out.append(FieldProblem(field: "category", reason: LocalizedText(zh: "请给出类别代码 category 或类别名称 categoryText", en: "give the class: category (code) or categoryText")))
        }
        let text = t.description.trimmedWhitespace
        if text.isEmpty || text.count > maxDescription {
            out.append(FieldProblem(field: "description", reason: LocalizedText(zh: "诉求内容应为 1~\(maxDescription) 字", en: "the description has 1–\(maxDescription) characters")))
        }
        if (t.lat == nil) != (t.long == nil) {
            out.append(FieldProblem(field: "lat,long", reason: LocalizedText(zh: "lat 和 long 需要同时提供", en: "lat and long go together")))
        }
        if t.lat == nil, (t.placeCode ?? "").isEmpty {
            out.append(FieldProblem(field: "lat", reason: LocalizedText(zh: "缺少位置：lat/long 或 placeCode（地址无法自动定位）",
                                                                    en: "a position is required: lat and long, or placeCode (an address alone cannot be located)")))
        }
        return out
    }

    /// The step a case change tells the hotline, if any: handling, the checked result (the reply), closure, or a
    /// void or merge (the ticket goes back with the reason). Other steps are the steward's own business.
    public static func step(after action: CaseAction, to state: CaseState) -> HotlineStep? {
        switch (action, state) {
        case (.handle, .handled), (.selfHandle, .handled): .handled
        case (.passVerification, .verified): .replied
        case (.close, .closed): .closed
        case (.reject, _), (.merge, _): .returned
        default: nil
        }
    }

    /// The order in which a ticket's pushes are delivered: a later step waits for the earlier ones.
    public static func order(_ step: HotlineStep) -> Int {
        switch step {
        case .received: 0
        case .handled: 1
        case .replied: 2
        case .closed, .returned: 3
        }
    }
}

import Foundation

/// A phone number as people write it: a mainland mobile (138 0013 8000) or fixed line with its area code
/// (0755-2345 6789, (0755) 23456789), with or without +86 / 0086 (and the trunk 0 written after it, +86 (0)755 …),
/// an extension (转 123, 分机 123, ext. 123, x123, #123), or a number abroad in international form (+852 2345 6789,
/// 00 1 415 555 2671). Spaces, dashes, dots, slashes and brackets, full-width or not, are dropped. It is kept in
/// E.164 (`+8613800138000`), the extension beside it.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// E.164: + country code + national significant number.
    public let e164: String
    /// Digits to dial after the number is answered.
    public let extensionDigits: String?

    /// A mainland number as written at home (13800138000, 075523456789): what an SMS gateway in China takes, and
    /// what numbers were sealed and indexed as before they were kept in E.164 (still searched for).
    public var national: String? {
        guard e164.hasPrefix("+86") else { return nil }
        let nsn = e164.dropFirst(3)
        return nsn.first == "1" && nsn.count == 11 ? String(nsn) : "0" + nsn
    }

    /// What is sealed: E.164 and the extension in RFC 3966's way (`+8675523456789;ext=123`).
    public var sealedForm: String { e164 + (extensionDigits.map { ";ext=" + $0 } ?? "") }

    /// Every form a stored blind index of this number may have been made from: E.164, and the national digits of
    /// a mainland number (rows written before E.164).
    public var indexForms: [String] { [e164] + (national.map { [$0] } ?? []) }

    /// What a gateway dials (the national number at home, E.164 abroad).
    public var dialable: String { national ?? e164 }

    public static func parse(_ text: String) -> PhoneNumber? {
        var number = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if number.hasPrefix("tel:") { number = number.dropFirst(4) }
        // The extension, after its marker.
        var ext: String?
        for marker in [";ext=", "分机号", "分机", "转", "ext.", "ext", "EXT", "Ext", "x", "X", "#", ",", "，"] {
            if let r = number.range(of: marker), r.lowerBound > number.startIndex {
                let tail = normalised(number[r.upperBound...])
                guard !tail.isEmpty, tail.count <= 6, tail.allSatisfy(\.isASCIIDigit) else { return nil }
                ext = tail
                number = number[..<r.lowerBound]
                break
            }
        }
        var d = normalised(number)
        var international = false
        if d.hasPrefix("+") { d.removeFirst(); international = true } else if d.hasPrefix("00") { d.removeFirst(2); international = true }
        guard !d.isEmpty, d.allSatisfy(\.isASCIIDigit) else { return nil }
        var nsn: String
        if international {
            guard d.hasPrefix("86") else {
                // Abroad: E.164 allows 15 digits at most; fewer than 8 is no full number anywhere.
                guard (8...15).contains(d.count), d.first != "0" else { return nil }
                return PhoneNumber(e164: "+" + d, extensionDigits: ext)
            }
            nsn = String(d.dropFirst(2))
            if nsn.hasPrefix("0") { nsn.removeFirst() }   // +86 (0)755 …
        } else if d.hasPrefix("0") {
            nsn = String(d.dropFirst())
        } else {
            nsn = d
        }
        let c = Array(nsn)
        if c.count == 11, c[0] == "1", ("3"..."9").contains(c[1]) { return PhoneNumber(e164: "+86" + nsn, extensionDigits: ext) }
        // A fixed line: area code (10, 2x, or three digits from 3) and 7–8 digits; written at home with its trunk 0.
        let landline = (9...11).contains(c.count) && (c[0] != "0") && (c[0] != "1" || (c[1] == "0" && c.count == 10))
        guard landline, international || d.hasPrefix("0") else { return nil }
        return PhoneNumber(e164: "+86" + nsn, extensionDigits: ext)
    }

    /// Full-width digits and plus to ASCII; separators dropped.
    private static func normalised(_ text: Substring) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0xFF10...0xFF19: out.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFF10 + 0x30)!)
            case 0xFF0B: out.append("+")
            default:
                if " \t-‐‑–—.·/()（）［］[]\u{3000}".unicodeScalars.contains(scalar) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Shown everywhere but to the reporter's own eyes: the first 3 and last 4 digits of a number at home
    /// (`138****8000`, domain-standards §8), the country code and last 4 of one abroad (`+852****6789`).
    public var masked: String {
        let shown = national ?? e164
        let head = national == nil ? 4 : 3
        return String(shown.prefix(head)) + String(repeating: "*", count: max(0, shown.count - head - 4)) + String(shown.suffix(4))
    }

    public var description: String { masked }

    public static let problem = LocalizedText(zh: "无法识别的电话号码：手机号 11 位（如 138 0013 8000），固话带区号（如 0755-2345 6789），境外号码以 + 和国家代码开头",
                                              en: "not a phone number we can read: a mobile has 11 digits (138 0013 8000), a fixed line its area code (0755-2345 6789), a number abroad starts with + and its country code")
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// What a resident wrote as a contact number: a number that could be read, or the text as written (kept sealed
/// and flagged for staff: a report is never refused for its contact number).
public enum ContactNumber: Sendable, Hashable {
    case number(PhoneNumber)
    case unreadable(String)

    /// Nil for nothing written.
    public static func read(_ text: String?) -> ContactNumber? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return PhoneNumber.parse(text).map(ContactNumber.number) ?? .unreadable(String(text.prefix(60)))
    }

    public var number: PhoneNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// A number as `PhoneNumber.masked`; text that could not be read as its first and last characters only.
    public var masked: String {
        switch self {
        case .number(let n): return n.masked
        case .unreadable(let text):
            let chars = Array(text)
            guard chars.count > 4 else { return "(?)" }
            return String(chars.prefix(2)) + String(repeating: "*", count: min(8, chars.count - 4)) + String(chars.suffix(2)) + " (?)"
        }
    }
}

/// What a resident picks from: plain words, each standing for one national class, in the five groups of the
/// portal. `emergency` topics show the emergency numbers before anything else.
public struct ResidentTopic: Sendable, Hashable, Identifiable {
    public enum Emergency: String, Sendable {
        case fire, gas, people
    }

    public var id: String
    public var group: CategoryGroup
    public var name: LocalizedText
    /// The class filed; nil for an emergency topic with nothing for the steward to do first.
    public var category: String?
    public var emergency: Emergency?

    public init(_ id: String, _ group: CategoryGroup, zh: String, en: String, category: String?, emergency: Emergency? = nil) {
        self.id = id
        self.group = group
        self.name = LocalizedText(zh: zh, en: en)
        self.category = category
        self.emergency = emergency
    }

    /// The portal's picker (codes from GB/T 47678.5-2026; every one is checked against the taxonomy in the tests).
    public static let all: [ResidentTopic] = [
        ResidentTopic("fire", .safety, zh: "着火、冒烟", en: "Fire or smoke", category: nil, emergency: .fire),
        ResidentTopic("gas", .safety, zh: "闻到燃气味", en: "Smell of gas", category: nil, emergency: .gas),
        ResidentTopic("people", .safety, zh: "有人受伤、被困或有危险", en: "Someone hurt, trapped or in danger", category: nil, emergency: .people),
        ResidentTopic("garbage", .garbage, zh: "垃圾没人清", en: "Garbage left lying around", category: "06010"),
        ResidentTopic("bins", .garbage, zh: "垃圾桶满了", en: "Bins overflowing", category: "06042"),
        ResidentTopic("dirty-street", .garbage, zh: "路面脏", en: "Dirty street", category: "06012"),
        ResidentTopic("junk", .garbage, zh: "乱堆杂物、大件垃圾", en: "Junk or bulky waste piled up", category: "06036"),
        ResidentTopic("sewage", .garbage, zh: "乱排污水", en: "Waste water dumped", category: "06030"),
        ResidentTopic("flyers", .garbage, zh: "小广告", en: "Illegal flyers and stickers", category: "07001"),
        ResidentTopic("toilet", .garbage, zh: "公厕有问题", en: "Public toilet problem", category: "03001"),
        ResidentTopic("dead-animal", .garbage, zh: "动物尸体", en: "Dead animal", category: "06037"),
        ResidentTopic("street-light", .facilities, zh: "路灯不亮", en: "Street light out", category: "01037"),
        ResidentTopic("manhole", .facilities, zh: "井盖丢失或破损", en: "Manhole cover missing or broken", category: "01023"),
        ResidentTopic("road", .facilities, zh: "路面坑洼破损", en: "Broken road or pavement", category: "06013"),
        ResidentTopic("steps", .facilities, zh: "台阶破损", en: "Broken steps", category: "06049"),
        ResidentTopic("drain", .facilities, zh: "雨水口堵塞", en: "Blocked drain", category: "01004"),
        ResidentTopic("fitness", .facilities, zh: "健身器材坏了", en: "Broken fitness equipment", category: "01046"),
        ResidentTopic("bench", .facilities, zh: "座椅坏了", en: "Broken bench", category: "04007"),
        ResidentTopic("lift", .facilities, zh: "公用电梯故障", en: "Public lift out of order", category: "01076"),
        ResidentTopic("charger", .facilities, zh: "充电桩坏了", en: "Charging point broken", category: "01054"),
        ResidentTopic("fire-lane", .safety, zh: "消防通道被占", en: "Fire lane blocked", category: "09012"),
        ResidentTopic("fire-equipment", .safety, zh: "消防设施损坏、缺失", en: "Fire equipment broken or missing", category: "01013"),
        ResidentTopic("cables", .safety, zh: "电线掉落", en: "Cables hanging down", category: "10002"),
        ResidentTopic("slope", .safety, zh: "挡土墙、边坡开裂", en: "Retaining wall or slope cracked", category: "06048"),
        ResidentTopic("gas-pipe", .safety, zh: "燃气管道、井盖损坏（未闻到气味）", en: "Gas pipe or cover damaged (no smell)", category: "01057"),
        ResidentTopic("car-parking", .order, zh: "汽车乱停", en: "Car parked badly", category: "09009"),
        ResidentTopic("ebike-parking", .order, zh: "电动车、自行车乱停", en: "E-bikes or bicycles parked badly", category: "09010"),
        ResidentTopic("shared-bikes", .order, zh: "共享单车乱放", en: "Shared bikes dumped", category: "09011"),
        ResidentTopic("stalls", .order, zh: "占道摆摊", en: "Stalls blocking the way", category: "09006"),
        ResidentTopic("ground-lock", .order, zh: "私装地锁", en: "Private parking lock", category: "06040"),
        ResidentTopic("illegal-building", .order, zh: "违章搭建", en: "Illegal construction", category: "06001"),
        ResidentTopic("laundry", .order, zh: "沿街晾晒", en: "Laundry hung along the street", category: "06007"),
        ResidentTopic("noise", .other, zh: "噪音扰民", en: "Noise", category: "06028"),
        ResidentTopic("cooking-fumes", .other, zh: "油烟扰民", en: "Cooking fumes", category: "06027"),
        ResidentTopic("construction", .other, zh: "施工扰民", en: "Building work disturbing residents", category: "08001"),
        ResidentTopic("dust", .other, zh: "工地扬尘", en: "Dust from a building site", category: "08004"),
        ResidentTopic("trees", .other, zh: "树木病虫害", en: "Sick trees or pests", category: "06021"),
    ]

    public static func find(_ id: String) -> ResidentTopic? { all.first { $0.id == id } }

    public static func topic(forCategory code: String) -> ResidentTopic? { all.first { $0.category == code } }
}

/// The numbers to call instead of reporting (国办发〔2020〕53号 keeps 110/119/120/122 apart from 12345).
public struct EmergencyNumber: Sendable, Hashable {
    public var number: String
    public var name: LocalizedText

    public static let fire = EmergencyNumber(number: "119", name: LocalizedText(zh: "火警（也处理燃气泄漏）", en: "Fire (also gas leaks)"))
    public static let police = EmergencyNumber(number: "110", name: LocalizedText(zh: "报警", en: "Police"))
    public static let ambulance = EmergencyNumber(number: "120", name: LocalizedText(zh: "急救", en: "Ambulance"))
    public static let traffic = EmergencyNumber(number: "122", name: LocalizedText(zh: "交通事故", en: "Traffic accidents"))

    public static func first(for emergency: ResidentTopic.Emergency) -> [EmergencyNumber] {
        switch emergency {
        case .fire, .gas: [fire, police, ambulance]
        case .people: [ambulance, police, fire]
        }
    }

    public static func advice(for emergency: ResidentTopic.Emergency) -> LocalizedText {
        switch emergency {
        case .fire: LocalizedText(zh: "请立即拨打 119，离开危险区域，不要乘电梯。", en: "Call 119 now, leave the danger area and do not use lifts.")
        case .gas: LocalizedText(zh: "不要开关电器、不要打火，打开门窗，到室外安全处拨打 119。", en: "Do not switch anything on or off or light a flame; open windows, go outside and call 119.")
        case .people: LocalizedText(zh: "请立即拨打 120 或 110，在安全的前提下留在现场。", en: "Call 120 or 110 now and stay nearby if it is safe.")
        }
    }
}

/// What residents may do after a case closes: rate it (1–5, once) and reopen it (once, within 7 days).
public enum ResidentFeedback {
    public static let reopenWindow: TimeInterval = 7 * 24 * 3600
    public static let maxReopens = 1
    public static let maxComment = 500

    public static func checkRating(_ score: Int?, comment: String?, state: CaseState, alreadyRated: Bool) throws(DomainError) {
        guard state == .closed else {
            throw .conflict(LocalizedText(zh: "案件办结后才能评价", en: "a case can be rated once it is closed"))
        }
        guard !alreadyRated else {
            throw .conflict(LocalizedText(zh: "您已评价过该案件", en: "you have already rated this case"))
        }
        guard let score, (1...5).contains(score) else {
            throw .invalid(field: "rating", LocalizedText(zh: "评分应为 1~5 星", en: "a rating is 1 to 5 stars"))
        }
        if let comment, comment.count > maxComment {
            throw .invalid(field: "comment", LocalizedText(zh: "评价不能超过 \(maxComment) 字", en: "a comment is at most \(maxComment) characters"))
        }
    }

    /// The reporter's rating as a change of the case: a timeline row (so its history and `updated_datetime` show
    /// it); the state stays. Checked with `checkRating` first.
    public static func rated(_ c: Case, rating: Int, comment: String?, now: Date) -> CaseChange {
        var next = c
        next.updatedAt = now
        next.workflow.milestones.rating = rating
        return CaseChange(after: next, event: CaseEvent(action: "rate", from: c.state, to: c.state, actorID: nil, actorName: "报告人", at: now,
                                                        note: comment, detail: ["rating": String(rating)]), notices: [])
    }

    public static func checkReopen(state: CaseState, closedAt: Date?, reopenCount: Int, now: Date) throws(DomainError) {
        guard state == .closed, let closedAt else {
            throw .conflict(LocalizedText(zh: "只有已办结的案件可以重新办理", en: "only a closed case can be reopened"))
        }
        guard reopenCount < maxReopens else {
            throw .conflict(LocalizedText(zh: "每个案件只能重新办理一次，如仍有问题请重新反映", en: "a case can be reopened once; please make a new report"))
        }
        guard now.timeIntervalSince(closedAt) <= reopenWindow else {
            throw .conflict(LocalizedText(zh: "办结已超过 7 天，不能重新办理，请重新反映", en: "more than 7 days have passed since closure; please make a new report"))
        }
    }

    public static func canReopen(state: CaseState, closedAt: Date?, reopenCount: Int, now: Date) -> Bool {
        (try? checkReopen(state: state, closedAt: closedAt, reopenCount: reopenCount, now: now)) != nil
    }
}

/// The case's history told to the reporter in plain words: internal steps (requests, approvals between offices)
/// are left out; who handles it is named.
public enum PlainTimeline {
    public struct Step: Sendable, Equatable {
        public var at: Date
        public var text: LocalizedText
        public var done: Bool
    }

    public struct Event: Sendable {
        public var action: String
        public var at: Date
        public var note: String?
        public var responsibleName: String

        public init(action: String, at: Date, note: String?, responsibleName: String) {
            self.action = action
            self.at = at
            self.note = note
            self.responsibleName = responsibleName
        }
    }

    public static func steps(_ events: [Event]) -> [Step] {
        events.compactMap { e in
            let who = e.responsibleName
            let text: LocalizedText? = switch e.action {
            case "report": LocalizedText(zh: "已收到您的反映", en: "We received your report")
            case CaseAction.file.rawValue: LocalizedText(zh: "已受理，正在安排处理", en: "Accepted; being arranged")
            case CaseAction.dispatch.rawValue: LocalizedText(zh: "已交给\(who)处理", en: "Passed to \(who)")
            case CaseAction.accept.rawValue: LocalizedText(zh: "\(who)已接单，正在处理", en: "\(who) is working on it")
            case CaseAction.handle.rawValue, CaseAction.selfHandle.rawValue: LocalizedText(zh: "已处理，等待核查", en: "Fixed; being checked")
            case CaseAction.passVerification.rawValue: LocalizedText(zh: "核查通过", en: "Checked and confirmed")
            case CaseAction.failVerification.rawValue: LocalizedText(zh: "核查未通过，正在重新处理", en: "The check failed; it is being redone")
            case CaseAction.close.rawValue: LocalizedText(zh: "已办结，欢迎评价", en: "Done; please rate the result")
            case CaseAction.reject.rawValue: LocalizedText(zh: "未受理：\(e.note ?? "")", en: "Not taken up: \(e.note ?? "")")
            case CaseAction.merge.rawValue: LocalizedText(zh: "与其他居民的相同反映合并处理", en: "Merged with the same report by someone else")
            case CaseAction.returnCase.rawValue: LocalizedText(zh: "正在转交给正确的单位", en: "Being passed to the right office")
            case CaseAction.approvePostpone.rawValue: LocalizedText(zh: "处理时限已延长", en: "The deadline was extended")
            case CaseAction.suspend.rawValue: LocalizedText(zh: "暂缓处理：需等待其他单位", en: "On hold: waiting for another party")
            case CaseAction.resume.rawValue: LocalizedText(zh: "恢复处理", en: "Work resumed")
            case CaseAction.supervise.rawValue: LocalizedText(zh: "区里已督办", en: "The district is following it up")
            case CaseAction.reopen.rawValue: LocalizedText(zh: "您要求重新办理", en: "You asked for it to be redone")
            case "rate": LocalizedText(zh: "您已评价", en: "You rated the result")
            default: nil
            }
            return text.map { Step(at: e.at, text: $0, done: true) }
        }
    }

    /// The one-line status a resident sees.
    public static func status(_ state: CaseState) -> LocalizedText {
        switch state {
        case .reported, .filed: LocalizedText(zh: "已收到，等待受理", en: "Received")
        case .dispatched, .accepted, .returned, .reworked: LocalizedText(zh: "处理中", en: "Being handled")
        case .handled, .verified: LocalizedText(zh: "已处理，核查中", en: "Fixed, being checked")
        case .closed: LocalizedText(zh: "已办结", en: "Done")
        case .rejected: LocalizedText(zh: "未受理", en: "Not taken up")
        case .suspended: LocalizedText(zh: "暂缓处理", en: "On hold")
        }
    }
}

/// The short number on the receipt, as residents type it: `LH-2026-000123`, `2026-123`, `2026000123`.
public enum ShortNumber {
    public static func normalize(_ text: String) -> String? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasPrefix("LH") { t.removeFirst(2) }
        let digits = t.split(whereSeparator: { $0 == "-" || $0 == " " })
        if digits.count == 2, digits[0].count == 4, let year = Int(digits[0]), let seq = Int(digits[1]), seq > 0, seq < 1_000_000,
           digits.allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            return CaseNumber.format(year: year, sequence: seq)
        }
        if digits.count == 1, digits[0].count == 10, digits[0].allSatisfy(\.isNumber), let year = Int(digits[0].prefix(4)),
           let seq = Int(digits[0].dropFirst(4)), seq > 0 {
            return CaseNumber.format(year: year, sequence: seq)
        }
        return nil
    }
}

/// What is kept to follow a resident's report up: the tracking link's secret (stored only as its hash), the phone
/// sealed with its blind index and masked form (sealing is the caller's: the key never reaches Core), the language
/// the resident wrote in.
public struct ResidentTracking: Sendable, Equatable {
    public struct SealedPhone: Sendable, Equatable {
        public var sealed: String
        /// Nil for a number that could not be read (kept as written, found by nobody's search).
        public var index: String?
        public var masked: String

        public init(sealed: String, index: String?, masked: String) {
            self.sealed = sealed
            self.index = index
            self.masked = masked
        }
    }

    public var token: String
    public var phone: SealedPhone?
    public var language: Language

    public init(token: String, phone: SealedPhone?, language: Language) {
        self.token = token
        self.phone = phone
        self.language = language
    }
}

import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Dates in API answers: ISO 8601 in UTC (the console shows Beijing time).
enum Timestamp {
    /// `2026-03-02T06:30:00Z` (`UTCTime`).
    static func iso(_ date: Date) -> String { UTCTime.iso(date) }

    static func iso(_ date: Date?) -> String? { date.map(iso) }

    /// Beijing time for pages: `2026-03-02 14:30`.
    static func beijing(_ date: Date?) -> String {
        guard let date else { return "" }
        return BeijingTime.minute(date)
    }
}

/// The case as the API shows it.
struct CaseResponse: Content {
    struct Party: Content {
        var id: UUID
        var name: String
        var kind: String
    }
    struct Routing: Content {
        var rule: String
        var ruleLabel: String
        var explanation: String
        var contractReference: String?
    }
    struct Category: Content {
        var code: String
        var name: String
        var version: Int
    }
    struct Ref: Content {
        var id: UUID
        var number: String?
    }
    struct Place: Content {
        var id: UUID
        var name: String
        var placeCode: String?
    }
    struct Photo: Content {
        var role: String
        var url: String
        var originalUrl: String?
    }

    var id: UUID
    var number: String
    var state: String
    var stateLabel: String
    var revision: Int
    var category: Category
    var urgency: String
    var source: String
    var description: String
    var lat: Double
    var long: Double
    var area: Place
    var responsible: Party
    var routing: Routing
    var reportedAt: String
    var deadline: String
    var stepDue: String?
    var overdue: Bool
    var escalation: Int
    var supervised: Bool
    var pending: String?
    var pendingHours: Double?
    var duplicateOf: Ref?
    var mergedInto: Ref?
    var closedAt: String?
    var photos: [Photo]?
    var actions: [String]?
    var events: [Event]?
    /// A 12345 ticket's case: the ticket and each step sent back to the hotline, with how its delivery stands.
    var hotline: Hotline?

    struct Hotline: Content {
        var ticketNumber: String
        var nature: String?
        var natureLabel: String?
        var categoryText: String?
        var address: String?
        var dueAt: Date?
        var receivedAt: Date
        var pushes: [Push]

        struct Push: Content {
            var step: String
            var stepLabel: String
            /// delivered, pending (not tried yet) or retrying (the hotline has not taken it yet).
            var state: String
            var queuedAt: Date
            var attempts: Int
            var deliveredAt: Date?
            var lastStatus: Int?
            var lastError: String?
        }

        init(_ t: HotlineTicketRow, pushes: [HotlinePushRow], language: Language) {
            ticketNumber = t.ticketNumber
            nature = t.nature
            natureLabel = t.nature.flatMap(HotlineNature.init(rawValue:))?.label.text(language)
            categoryText = t.categoryText
            address = t.address
            dueAt = t.dueAt
            receivedAt = t.receivedAt
            self.pushes = pushes.map { p in
                Push(step: p.step, stepLabel: HotlineStep(rawValue: p.step)?.label.text(language) ?? p.step,
                     state: p.deliveredAt != nil ? "delivered" : p.attempts == 0 ? "pending" : "retrying",
                     queuedAt: p.createdAt, attempts: p.attempts, deliveredAt: p.deliveredAt, lastStatus: p.lastStatus, lastError: p.lastError)
            }
        }
    }

    struct Event: Content {
        var seq: Int
        var action: String
        var fromState: String?
        var toState: String
        var actor: String
        var at: String
        var note: String?
        var lat: Double?
        var long: Double?
        var detail: [String: String]?
    }

    init(_ c: Case, language: Language, now: Date) {
        let w = c.workflow
        id = c.id
        number = c.number
        state = w.state.rawValue
        stateLabel = w.state.label.text(language)
        revision = c.revision
        category = Category(code: c.category.code, name: language == .en ? c.category.nameEn : c.category.name, version: c.category.version)
        urgency = w.urgency.rawValue
        source = c.source.rawValue
        description = c.description
        lat = c.position.lat
        long = c.position.long
        area = Place(id: c.place.areaID, name: c.place.areaName, placeCode: c.place.placeCode)
        responsible = Party(id: c.responsible.id, name: c.responsible.name, kind: c.responsible.kind.rawValue)
        routing = Routing(rule: c.routing.rule.rawValue, ruleLabel: c.routing.rule.label.text(language),
                          explanation: c.routing.explanation.text(language), contractReference: c.routing.contractReference)
        reportedAt = Timestamp.iso(w.reportedAt)
        deadline = Timestamp.iso(w.deadline)
        stepDue = Timestamp.iso(w.stepDue)
        overdue = c.isOverdue(at: now)
        escalation = w.escalation
        supervised = w.supervised
        pending = w.pending?.rawValue
        pendingHours = w.pendingHours
        duplicateOf = c.duplicateOf.map { Ref(id: $0, number: nil) }
        mergedInto = c.mergedInto.map { Ref(id: $0, number: nil) }
        closedAt = Timestamp.iso(c.closedAt)
    }

    static func events(_ rows: [CaseEventRow]) -> [Event] {
        rows.map { e in
            let detail = e.detail.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            return Event(seq: e.seq, action: e.action, fromState: e.fromState, toState: e.toState, actor: e.actorName, at: Timestamp.iso(e.at),
                         note: e.note, lat: e.lat, long: e.long, detail: detail)
        }
    }

    static func photos(_ rows: [CasePhotoRow], staff: Bool, prefix: String = "/api/v1/photos") -> [Photo] {
        rows.map { p in
            let ext = PhotoFormat(rawValue: p.format)?.fileExtension ?? "jpg"
            return Photo(role: p.role, url: "\(prefix)/\(p.publicHash).\(ext)", originalUrl: staff ? "\(prefix)/\(p.hash).\(ext)" : nil)
        }
    }
}

/// The category as the API shows it.
struct CategoryResponse: Content {
    struct Limit: Content {
        var amount: Double
        var unit: String
        var label: String
        var isDefault: Bool
        var basis: String?
    }
    var code: String
    var kind: String
    var name: String
    var nameEn: String
    var majorCode: String
    var majorName: String
    var group: String
    var groupLabel: String
    var version: Int
    var limits: [String: Limit]
    var beyondStewardAuthority: Bool
    var ownerDepartment: String?
    var matter: String?
    var legacyCodes: [String]
    var handlingEvidence: HandlingEvidence

    init(_ c: CaseCategory, version: Int, language: Language) {
        code = c.code
        kind = c.kind.rawValue
        name = c.name
        nameEn = c.nameEn
        majorCode = c.majorCode
        majorName = language == .en ? c.majorNameEn : c.majorName
        group = c.group.rawValue
        groupLabel = c.group.label.text(language)
        self.version = version
        var limits: [String: Limit] = [:]
        for (u, l) in c.limits {
            limits[u.rawValue] = Limit(amount: l.amount, unit: l.unit.rawValue, label: l.label.text(language), isDefault: l.isDefault, basis: l.basis)
        }
        self.limits = limits
        beyondStewardAuthority = c.beyondStewardAuthority
        ownerDepartment = c.ownerDepartment
        matter = c.matter
        legacyCodes = c.legacyCodes
        handlingEvidence = c.handlingEvidence
    }
}

/// Photos as they arrive in JSON: base64 (optionally a data: URL) with a role.
struct PhotoUpload: Content {
    var data: String
    var role: String?

    static func decode(_ uploads: [PhotoUpload]?, defaultRole: PhotoRole) throws -> [(data: Data, role: PhotoRole)] {
        try (uploads ?? []).enumerated().map { i, upload in
            var text = upload.data
            if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw DomainError.invalid("photos.\(i)", zh: "第 \(i + 1) 张照片不是有效的 base64", en: "photo \(i + 1) is not valid base64")
            }
            var role = defaultRole
            if let r = upload.role {
                guard let parsed = PhotoRole(rawValue: r) else {
                    throw DomainError.invalid("photos.\(i).role", zh: "照片类型应为 report/before/after/evidence", en: "a photo role is report, before, after or evidence")
                }
                role = parsed
            }
            return (data, role)
        }
    }
}

extension CaseResponse {
    /// The same document `JSONEncoder` writes for a case without events, photos or actions (the intake answer),
    /// written by hand: on the intake path Foundation's encoder cost about as much as the rest of the answer.
    func intakeJSON() -> [UInt8] {
        var o = JSONObjectWriter()
        o.add("id", id.text(uppercase: true))
        o.add("number", number)
        o.add("state", state)
        o.add("stateLabel", stateLabel)
        o.add("revision", revision)
        o.addObject("category") { $0.add("code", category.code); $0.add("name", category.name); $0.add("version", category.version) }
        o.add("urgency", urgency)
        o.add("source", source)
        o.add("description", description)
        o.add("lat", lat)
        o.add("long", long)
        o.addObject("area") { $0.add("id", area.id.text(uppercase: true)); $0.add("name", area.name); $0.add("placeCode", area.placeCode) }
        o.addObject("responsible") { $0.add("id", responsible.id.text(uppercase: true)); $0.add("name", responsible.name); $0.add("kind", responsible.kind) }
        o.addObject("routing") {
            $0.add("rule", routing.rule); $0.add("ruleLabel", routing.ruleLabel); $0.add("explanation", routing.explanation)
            $0.add("contractReference", routing.contractReference)
        }
        o.add("reportedAt", reportedAt)
        o.add("deadline", deadline)
        o.add("stepDue", stepDue)
        o.add("overdue", overdue)
        o.add("escalation", escalation)
        o.add("supervised", supervised)
        o.add("pending", pending)
        if let pendingHours { o.add("pendingHours", pendingHours) }
        if let d = duplicateOf { o.addObject("duplicateOf") { $0.add("id", d.id.text(uppercase: true)); $0.add("number", d.number) } }
        if let m = mergedInto { o.addObject("mergedInto") { $0.add("id", m.id.text(uppercase: true)); $0.add("number", m.number) } }
        o.add("closedAt", closedAt)
        return o.finishBytes()
    }
}

/// A JSON object written field by field into one byte buffer (strings escaped as JSONSerialization does; nil values
/// left out). Every intake answers with one; building it from concatenated strings showed up in the profile.
struct JSONObjectWriter {
    private var bytes: [UInt8]
    private var first = true

    init(capacity: Int = 512) {
        bytes = [UInt8(ascii: "{")]
        bytes.reserveCapacity(capacity)
    }

    static func object(_ fill: (inout JSONObjectWriter) -> Void) -> String {
        var w = JSONObjectWriter(capacity: 128)
        fill(&w)
        return w.finish()
    }

    private mutating func key(_ k: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Self.appendQuoted(k, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func add(_ k: String, _ v: String?) {
        guard let v else { return }
        key(k)
        Self.appendQuoted(v, to: &bytes)
    }

    mutating func add(_ k: String, _ v: Int) {
        key(k)
        bytes.append(contentsOf: String(v).utf8)
    }

    mutating func add(_ k: String, _ v: Double) {
        key(k)
        bytes.append(contentsOf: (v.isFinite ? "\(v)" : "null").utf8)
    }

    mutating func add(_ k: String, _ v: Bool) {
        key(k)
        bytes.append(contentsOf: (v ? "true" : "false").utf8)
    }

    mutating func add(_ k: String, _ v: [String]) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (i, item) in v.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendQuoted(item, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func addRaw(_ k: String, _ json: String) {
        key(k)
        bytes.append(contentsOf: json.utf8)
    }

    /// A nested object, written in place.
    mutating func addObject(_ k: String, _ fill: (inout JSONObjectWriter) -> Void) {
        key(k)
        var inner = JSONObjectWriter(capacity: 0)
        swap(&inner.bytes, &bytes)
        inner.bytes.append(UInt8(ascii: "{"))
        fill(&inner)
        inner.bytes.append(UInt8(ascii: "}"))
        swap(&inner.bytes, &bytes)
    }

    func finish() -> String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }

    func finishBytes() -> [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// `"…"` with `"`, `\\`, and control characters escaped; everything else as its UTF-8.
    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            out.append(UInt8(ascii: "\""))
            // Runs that need no escaping (nearly every value whole) go in at once.
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            out.append(UInt8(ascii: "\""))
        }
    }
}

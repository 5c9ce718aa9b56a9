import Foundation

/// 部件 (a managed object) or 事项 (a matter about one). Cases are filed under 事项 codes.
public enum CategoryKind: String, Sendable, Codable, CaseIterable {
    case component
    case event
}

public enum Urgency: String, Sendable, Codable, CaseIterable {
    case normal
    case urgent

    public var label: LocalizedText {
        self == .urgent ? LocalizedText(zh: "紧急", en: "Urgent") : LocalizedText(zh: "一般", en: "Normal")
    }
}

/// The unit a time limit counts in: hours or days on the working calendar, or plain clock hours.
public enum TimeLimitUnit: String, Sendable, Codable, CaseIterable {
    case workingHours
    case workingDays
    case calendarHours

    public func label(_ amount: Double) -> LocalizedText {
        let n = amount.rounded() == amount ? String(Int(amount)) : String(amount)
        switch self {
        case .workingHours: return LocalizedText(zh: "\(n) 个工作时", en: "\(n) working hours")
        case .workingDays: return LocalizedText(zh: "\(n) 个工作日", en: "\(n) working days")
        case .calendarHours: return LocalizedText(zh: "\(n) 小时", en: "\(n) hours")
        }
    }
}

/// A disposal time limit (处置时限). `isDefault` marks a value shipped by the project, not yet confirmed by a contract.
public struct TimeLimit: Sendable, Hashable, Codable {
    public var amount: Double
    public var unit: TimeLimitUnit
    public var isDefault: Bool
    public var basis: String?

    public init(amount: Double, unit: TimeLimitUnit, isDefault: Bool = false, basis: String? = nil) {
        self.amount = amount
        self.unit = unit
        self.isDefault = isDefault
        self.basis = basis
    }

    enum CodingKeys: String, CodingKey { case amount, unit, isDefault = "default", basis }

    public func deadline(from start: Date, on calendar: WorkingCalendar) -> Date {
        switch unit {
        case .workingHours: calendar.adding(workingHours: amount, to: start)
        case .workingDays: calendar.adding(workingDays: amount, to: start)
        case .calendarHours: start.addingTimeInterval(amount * 3600)
        }
    }

    public var label: LocalizedText { unit.label(amount) }
}

/// The plain-words groups residents pick from (issue 4) and the console filters by.
public enum CategoryGroup: String, Sendable, Codable, CaseIterable {
    case garbage, facilities, safety, order, other

    public var label: LocalizedText {
        switch self {
        case .garbage: LocalizedText(zh: "垃圾与环境卫生", en: "Garbage and cleanliness")
        case .facilities: LocalizedText(zh: "设施损坏", en: "Broken facilities")
        case .safety: LocalizedText(zh: "安全隐患", en: "Safety hazards")
        case .order: LocalizedText(zh: "停车与秩序", en: "Parking and order")
        case .other: LocalizedText(zh: "其他", en: "Other")
        }
    }
}

/// One class of the national scheme (GB/T 47678.5-2026), with what routing and deadlines need.
/// What handling a case of a class must leave on record before it goes to verification (处置完成): a note of what
/// was done and a photo after. Both by default; the district office relaxes them per class (a reading of a meter
/// has nothing to photograph).
public struct HandlingEvidence: Sendable, Hashable, Codable {
    public var note: Bool
    public var afterPhoto: Bool

    public init(note: Bool, afterPhoto: Bool) {
        self.note = note
        self.afterPhoto = afterPhoto
    }

    public static let required = HandlingEvidence(note: true, afterPhoto: true)
    public static let none = HandlingEvidence(note: false, afterPhoto: false)

    /// What is missing from a handling with this note and these photos, by field; empty when it may go on.
    public func missing(note: String?, photos: [PhotoRole]) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if self.note, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            out.append(FieldProblem(field: "note", reason: LocalizedText(zh: "请填写处置说明（做了什么）", en: "say what was done")))
        }
        if afterPhoto, !photos.contains(.after) {
            out.append(FieldProblem(field: "photo", reason: LocalizedText(zh: "请上传处置后的照片", en: "add a photo taken after handling")))
        }
        return out
    }
}

public struct CaseCategory: Sendable, Hashable, Codable {
    public var code: String
    public var kind: CategoryKind
    public var name: String
    public var nameEn: String
    public var majorCode: String
    public var majorName: String
    public var majorNameEn: String
    /// Per urgency; components (not filed as cases) have none.
    public var limits: [Urgency: TimeLimit]
    public var beyondStewardAuthority: Bool
    /// Org code of the department that owns the matter (主管部门); nil: nobody, the district office coordinates.
    public var ownerDepartment: String?
    /// The entrustable catalog matter this class belongs to.
    public var matter: String?
    public var group: CategoryGroup
    /// Codes of the legacy scheme (GB/T 30428.2 lineage) for exchange with older systems, as `kind:code`.
    public var legacyCodes: [String]
    public var handlingEvidence: HandlingEvidence

    public init(code: String, kind: CategoryKind, name: String, nameEn: String, majorCode: String, majorName: String,
                majorNameEn: String, limits: [Urgency: TimeLimit], beyondStewardAuthority: Bool, ownerDepartment: String?,
                matter: String?, group: CategoryGroup, legacyCodes: [String], handlingEvidence: HandlingEvidence = .required) {
        self.code = code
        self.kind = kind
        self.name = name
        self.nameEn = nameEn
        self.majorCode = majorCode
        self.majorName = majorName
        self.majorNameEn = majorNameEn
        self.limits = limits
        self.beyondStewardAuthority = beyondStewardAuthority
        self.ownerDepartment = ownerDepartment
        self.matter = matter
        self.group = group
        self.legacyCodes = legacyCodes
        self.handlingEvidence = handlingEvidence
    }

    public func displayName(_ language: Language) -> String { language == .en ? nameEn : name }

    public func limit(_ urgency: Urgency) -> TimeLimit? { limits[urgency] ?? limits[.normal] }

    enum CodingKeys: String, CodingKey {
        case code, kind, name, nameEn, majorCode, majorName, majorNameEn, limits, beyondStewardAuthority, ownerDepartment, matter,
             group, legacyCodes, handlingEvidence
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        kind = try c.decode(CategoryKind.self, forKey: .kind)
        name = try c.decode(String.self, forKey: .name)
        nameEn = try c.decodeIfPresent(String.self, forKey: .nameEn) ?? name
        majorCode = try c.decodeIfPresent(String.self, forKey: .majorCode) ?? String(code.prefix(2))
        majorName = try c.decodeIfPresent(String.self, forKey: .majorName) ?? ""
        majorNameEn = try c.decodeIfPresent(String.self, forKey: .majorNameEn) ?? majorName
        let raw = try c.decodeIfPresent([String: TimeLimit].self, forKey: .limits) ?? [:]
        var limits: [Urgency: TimeLimit] = [:]
        for (key, value) in raw {
            guard let urgency = Urgency(rawValue: key) else {
                throw DecodingError.dataCorruptedError(forKey: .limits, in: c, debugDescription: "unknown urgency \(key)")
            }
            limits[urgency] = value
        }
        self.limits = limits
        beyondStewardAuthority = try c.decodeIfPresent(Bool.self, forKey: .beyondStewardAuthority) ?? false
        ownerDepartment = try c.decodeIfPresent(String.self, forKey: .ownerDepartment)
        matter = try c.decodeIfPresent(String.self, forKey: .matter)
        group = try c.decodeIfPresent(CategoryGroup.self, forKey: .group) ?? .other
        legacyCodes = try c.decodeIfPresent([String].self, forKey: .legacyCodes) ?? []
        // Absent (the shipped file, versions saved before the rule existed): both are asked for.
        handlingEvidence = try c.decodeIfPresent(HandlingEvidence.self, forKey: .handlingEvidence) ?? .required
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        try c.encode(nameEn, forKey: .nameEn)
        try c.encode(majorCode, forKey: .majorCode)
        try c.encode(majorName, forKey: .majorName)
        try c.encode(majorNameEn, forKey: .majorNameEn)
        if !limits.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: limits.map { ($0.key.rawValue, $0.value) }), forKey: .limits)
        }
        try c.encode(beyondStewardAuthority, forKey: .beyondStewardAuthority)
        try c.encodeIfPresent(ownerDepartment, forKey: .ownerDepartment)
        try c.encodeIfPresent(matter, forKey: .matter)
        try c.encode(group, forKey: .group)
        try c.encode(legacyCodes, forKey: .legacyCodes)
        try c.encode(handlingEvidence, forKey: .handlingEvidence)
    }

    /// The problems with an edited category, by field (empty when it may be saved).
    public func problems(knownDepartments: Set<String>, knownMatters: Set<String>) -> [(field: String, reason: LocalizedText)] {
        var out: [(String, LocalizedText)] = []
        if code.count != 5 || !code.allSatisfy(\.isASCII) || !code.allSatisfy(\.isNumber) {
            out.append(("code", LocalizedText(zh: "类别代码应为 5 位数字", en: "a class code is 5 digits")))
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { out.append(("name", LocalizedText(zh: "请填写中文名称", en: "the Chinese name is required"))) }
        if nameEn.trimmingCharacters(in: .whitespaces).isEmpty { out.append(("nameEn", LocalizedText(zh: "请填写英文名称", en: "the English name is required"))) }
        if name.count > 100 { out.append(("name", LocalizedText(zh: "中文名称最多 100 字", en: "the Chinese name is at most 100 characters"))) }
        if nameEn.count > 200 { out.append(("nameEn", LocalizedText(zh: "英文名称最多 200 字", en: "the English name is at most 200 characters"))) }
        if kind == .event {
            for urgency in Urgency.allCases {
                guard let limit = limits[urgency] else {
                    out.append(("limits.\(urgency.rawValue)", LocalizedText(zh: "请填写\(urgency.label.zh)时限", en: "the \(urgency.rawValue) time limit is required")))
                    continue
                }
                if !(limit.amount > 0 && limit.amount <= 24 * 365 && limit.amount.isFinite) {
                    out.append(("limits.\(urgency.rawValue)", LocalizedText(zh: "时限应为正数", en: "a time limit is a positive number")))
                }
            }
        }
        if let owner = ownerDepartment, !knownDepartments.contains(owner) {
            out.append(("ownerDepartment", LocalizedText(zh: "没有代码为 \(owner) 的部门", en: "no department has the code \(owner)")))
        }
        if let matter, !knownMatters.contains(matter) {
            out.append(("matter", LocalizedText(zh: "事项目录中没有 \(matter)", en: "the matter catalog has no \(matter)")))
        }
        if beyondStewardAuthority, matter != nil {
            out.append(("matter", LocalizedText(zh: "超出管家职权的类别不能列入可委托事项", en: "a class beyond the steward's authority cannot be in an entrustable matter")))
        }
        return out
    }
}

/// The service domains of the matter catalog (plan §3, §4).
public enum ServiceDomain: String, Sendable, Codable, CaseIterable {
    case property, sanitation, facilities, governance, entrusted

    public var label: LocalizedText {
        switch self {
        case .property: LocalizedText(zh: "物业服务", en: "Property services")
        case .sanitation: LocalizedText(zh: "环境卫生", en: "Sanitation")
        case .facilities: LocalizedText(zh: "公共设施", en: "Facilities")
        case .governance: LocalizedText(zh: "基层治理", en: "Governance")
        case .entrusted: LocalizedText(zh: "部门委托", en: "Entrusted by departments")
        }
    }
}

/// An entrustable matter (可委托事项): the unit a department entrusts and a contract prices.
public struct Matter: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var nameEn: String
    public var domain: ServiceDomain
    /// Org code of the delegating department (谁委托谁监管).
    public var ownerDepartment: String?
    public var categories: [String]
    /// The catalog's handling limit in working hours, taken by a contract line that sets none (nil: the categories' own).
    public var timeLimitHours: Int?
    /// Beyond the steward's authority: its cases go to the street office, and no contract entrusts it.
    public var beyondAuthority: Bool

    public init(code: String, name: String, nameEn: String, domain: ServiceDomain, ownerDepartment: String?, categories: [String],
                timeLimitHours: Int? = nil, beyondAuthority: Bool = false) {
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.domain = domain
        self.ownerDepartment = ownerDepartment
        self.categories = categories
        self.timeLimitHours = timeLimitHours
        self.beyondAuthority = beyondAuthority
    }

    enum CodingKeys: String, CodingKey { case code, name, nameEn, domain, ownerDepartment, categories, timeLimitHours, beyondAuthority }

    /// The shipped file names neither limit nor flag: none and false.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(code: try c.decode(String.self, forKey: .code), name: try c.decode(String.self, forKey: .name), nameEn: try c.decode(String.self, forKey: .nameEn),
                  domain: try c.decode(ServiceDomain.self, forKey: .domain), ownerDepartment: try c.decodeIfPresent(String.self, forKey: .ownerDepartment),
                  categories: try c.decodeIfPresent([String].self, forKey: .categories) ?? [],
                  timeLimitHours: try c.decodeIfPresent(Int.self, forKey: .timeLimitHours), beyondAuthority: try c.decodeIfPresent(Bool.self, forKey: .beyondAuthority) ?? false)
    }

    public func displayName(_ language: Language) -> String { language == .en ? nameEn : name }
}

/// A device's event type mapped to a category (an AI camera's 暴露垃圾 → 06010).
public struct DeviceEventMapping: Sendable, Hashable, Codable {
    public var vendor: String
    public var code: String
    public var label: String
    public var category: String
}

/// The taxonomy in force: one version of every category, the matter catalog, device mappings.
public struct Taxonomy: Sendable {
    public var categories: [CaseCategory]
    public var matters: [Matter]
    public var deviceEvents: [DeviceEventMapping]
    /// Per category code, the version a new case is filed under.
    public var versions: [String: Int]
    private var events: [String: Int]
    private var legacy: [String: String]

    public init(categories: [CaseCategory], matters: [Matter], deviceEvents: [DeviceEventMapping], versions: [String: Int] = [:]) {
        self.categories = categories
        self.matters = matters
        self.deviceEvents = deviceEvents
        self.versions = versions
        var events: [String: Int] = [:]
        var legacy: [String: String] = [:]
        for (i, c) in categories.enumerated() where c.kind == .event {
            events[c.code] = i
            for old in c.legacyCodes where old.hasPrefix("event:") { legacy[String(old.dropFirst(6)), default: c.code] = c.code }
        }
        self.events = events
        self.legacy = legacy
    }

    /// The 事项 class a case may be filed under.
    public func eventCategory(_ code: String) -> CaseCategory? { events[code].map { categories[$0] } }

    public func version(of code: String) -> Int { versions[code] ?? 1 }

    /// The current class for a legacy 事件 code (`0102`, `01-10`), for exchange with older district systems.
    public func fromLegacy(_ code: String) -> CaseCategory? { legacy[code].flatMap(eventCategory) }

    public func matter(_ code: String) -> Matter? { matters.first { $0.code == code } }

    public func deviceEvent(vendor: String?, code: String) -> CaseCategory? {
        let hit = deviceEvents.first { ($0.vendor == vendor || vendor == nil) && ($0.code == code || $0.label == code) }
            ?? deviceEvents.first { $0.code == code || $0.label == code }
        return hit.flatMap { eventCategory($0.category) }
    }

    /// The routing view of a category, with the owner department resolved to a party.
    /// A class is beyond the steward's authority when it is flagged itself or its catalog matter is.
    public func routingCategory(_ category: CaseCategory, departments: [String: PartyRef], language: Language = .zhHans) -> RoutingCategory {
        let matter = category.matter.flatMap { m in matters.first { $0.code == m } }
        return RoutingCategory(code: category.code, name: category.displayName(language), matterCode: category.matter,
                               beyondStewardAuthority: category.beyondStewardAuthority || matter?.beyondAuthority == true,
                               ownerDepartment: category.ownerDepartment.flatMap { departments[$0] },
                               matterName: matter?.displayName(language))
    }
}

/// Reads Resources/Taxonomy/taxonomy.json (made by scripts/gen-taxonomy.py from the reference transcription).
public enum TaxonomyData {
    struct File: Decodable {
        var categories: [CaseCategory]
        var matters: [Matter]
        var aiEvents: [DeviceEventMapping]?
    }

    public static func decode(_ data: Data) throws(DomainError) -> Taxonomy {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw .invalid(field: "taxonomy", LocalizedText(zh: "类别数据文件格式错误：\(error)", en: "the taxonomy file is malformed: \(error)"))
        }
        var seen = Set<String>()
        for c in file.categories where !seen.insert("\(c.kind.rawValue):\(c.code)").inserted {
            throw .invalid(field: "taxonomy", LocalizedText(zh: "类别 \(c.code) 重复", en: "category \(c.code) appears twice"))
        }
        let taxonomy = Taxonomy(categories: file.categories, matters: file.matters, deviceEvents: file.aiEvents ?? [])
        for m in file.matters {
            for code in m.categories where taxonomy.eventCategory(code)?.matter != m.code {
                throw .invalid(field: "taxonomy", LocalizedText(zh: "事项 \(m.code) 与类别 \(code) 不一致", en: "matter \(m.code) and category \(code) disagree"))
            }
        }
        return taxonomy
    }
}

import Foundation

/// A party a case can be routed to.
public struct PartyRef: Sendable, Hashable, Codable {
    public var id: UUID
    public var name: String
    public var kind: OrgKind

    public init(id: UUID, name: String, kind: OrgKind) {
        self.id = id
        self.name = name
        self.kind = kind
    }
}

/// One catalog matter entrusted, for one area, to one steward under one contract (委托事项).
public struct EntrustedMatter: Sendable, Hashable, Codable {
    public var matterCode: String
    public var areaID: UUID
    public var areaName: String
    public var steward: PartyRef
    public var validFrom: Date
    /// Exclusive end; nil while the contract runs open-ended.
    public var validTo: Date?
    public var contractReference: String
    /// The handling limit the contract agreed for the matter, in working hours (nil: the category's own limits).
    public var timeLimitHours: Int?

    public init(matterCode: String, areaID: UUID, areaName: String, steward: PartyRef, validFrom: Date, validTo: Date?, contractReference: String,
                timeLimitHours: Int? = nil) {
        self.timeLimitHours = timeLimitHours
        self.matterCode = matterCode
        self.areaID = areaID
        self.areaName = areaName
        self.steward = steward
        self.validFrom = validFrom
        self.validTo = validTo
        self.contractReference = contractReference
    }

    public func isActive(at instant: Date) -> Bool {
        validFrom <= instant && (validTo.map { instant < $0 } ?? true)
    }
}

/// What the router needs to know about the category of a case.
public struct RoutingCategory: Sendable, Hashable {
    public var code: String
    public var name: String
    /// The catalog matter the category belongs to (nil: not in the entrustable catalog).
    public var matterCode: String?
    /// Enforcement matters (私搭乱建 …) the steward may not handle: always the street office.
    public var beyondStewardAuthority: Bool
    public var ownerDepartment: PartyRef?
    /// The catalog matter's name, for the explanation.
    public var matterName: String?

    public init(code: String, name: String, matterCode: String?, beyondStewardAuthority: Bool, ownerDepartment: PartyRef?, matterName: String? = nil) {
        self.code = code
        self.name = name
        self.matterCode = matterCode
        self.matterName = matterName
        self.beyondStewardAuthority = beyondStewardAuthority
        self.ownerDepartment = ownerDepartment
    }
}

/// Where the case is: the located area's path (district first), with the street's office.
public struct RoutingPlace: Sendable, Hashable {
    /// The located areas from the district down to the grid (or as deep as the position was resolved).
    public var path: [Area]
    public var streetOffice: PartyRef?

    public init(path: [Area], streetOffice: PartyRef?) {
        self.path = path
        self.streetOffice = streetOffice
    }

    public var street: Area? { path.first { $0.kind == .street } }
    public var village: Area? { path.first { $0.kind == .village } }
}

/// Which rule of DESIGN §5 decided.
public enum RoutingRule: String, Sendable, Codable, CaseIterable {
    case beyondAuthority
    case entrusted
    case ownerDepartment
    case districtOffice
    /// A dispatcher chose the party by hand (after a return, or correcting the router), with a reason.
    case manual

    public var label: LocalizedText {
        switch self {
        case .beyondAuthority: LocalizedText(zh: "超出管家职权，街道查处", en: "Beyond the steward's authority")
        case .entrusted: LocalizedText(zh: "委托事项", en: "Entrusted matter")
        case .ownerDepartment: LocalizedText(zh: "主管部门", en: "Owner department")
        case .districtOffice: LocalizedText(zh: "区办协调", en: "District office")
        case .manual: LocalizedText(zh: "人工派遣", en: "Dispatched by hand")
        }
    }
}

public struct RoutingDecision: Sendable, Hashable {
    public var responsible: PartyRef
    public var rule: RoutingRule
    public var explanation: LocalizedText
    /// The entrusted matter that decided, when the rule is `entrusted`.
    public var entrustment: EntrustedMatter?

    public init(responsible: PartyRef, rule: RoutingRule, explanation: LocalizedText, entrustment: EntrustedMatter?) {
        self.responsible = responsible
        self.rule = rule
        self.explanation = explanation
        self.entrustment = entrustment
    }
}

/// Smart dispatch (智慧分拨): a total function from category, place and the entrustments in force to the party
/// responsible, with the rule that decided and a sentence that explains it.
public enum Router {
    public static func route(category: RoutingCategory, place: RoutingPlace, entrustments: [EntrustedMatter],
                             districtOffice: PartyRef, at instant: Date) -> RoutingDecision {
        let placeName = place.village?.name ?? place.street?.name ?? place.path.last?.name ?? "龙华区"
        let placeNameEn = place.village?.nameEn ?? place.street?.nameEn ?? place.path.last?.nameEn ?? placeName
        // 1. Beyond the steward's authority: the street office investigates (查处).
        if category.beyondStewardAuthority, let office = place.streetOffice {
            return RoutingDecision(responsible: office, rule: .beyondAuthority, explanation: LocalizedText(
                zh: "“\(category.name)”超出城市管家职权范围，由\(office.name)依职责查处（\(placeName)）",
                en: "\(category.name) is beyond the steward's authority, so \(office.name) investigates it (\(placeNameEn))"), entrustment: nil)
        }
        // 2. Entrusted in this area: the most specific area on the case's path wins, then the latest contract.
        if !category.beyondStewardAuthority, let matter = category.matterCode {
            let depth = Dictionary(uniqueKeysWithValues: place.path.enumerated().map { ($1.id, $0) })
            let candidates = entrustments.filter { $0.matterCode == matter && $0.isActive(at: instant) && depth[$0.areaID] != nil }
            if let best = candidates.max(by: { (depth[$0.areaID]!, $0.validFrom) < (depth[$1.areaID]!, $1.validFrom) }) {
                return RoutingDecision(responsible: best.steward, rule: .entrusted, explanation: LocalizedText(
                    zh: "“\(category.name)”属于事项“\(category.matterName ?? matter)”（\(matter)），已由合同 \(best.contractReference) 委托\(best.steward.name)在\(best.areaName)承接",
                    en: "\(category.name) belongs to matter \(category.matterName ?? matter) (\(matter)), entrusted to \(best.steward.name) in \(best.areaName) under contract \(best.contractReference)"),
                    entrustment: best)
            }
        }
        // 3. The catalog's owner department.
        if let owner = category.ownerDepartment {
            return RoutingDecision(responsible: owner, rule: .ownerDepartment, explanation: LocalizedText(
                zh: "“\(category.name)”在\(placeName)未委托城市管家，由主管部门\(owner.name)处置",
                en: "\(category.name) is not entrusted in \(placeNameEn), so its owner department \(owner.name) handles it"), entrustment: nil)
        }
        // 4. Nobody owns it (or the street office is unknown): the district office's queue.
        return RoutingDecision(responsible: districtOffice, rule: .districtOffice, explanation: LocalizedText(
            zh: "“\(category.name)”没有委托单位或主管部门，转区专项工作组办公室协调",
            en: "\(category.name) has no entrusted steward or owner department here, so the district office coordinates it"), entrustment: nil)
    }
}

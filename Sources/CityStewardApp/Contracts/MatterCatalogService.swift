import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The entrustable-matter catalog's verbs — add a matter, change one (a new version), draw up a street's own list —
/// for the console and the API alike, each with its access check, audit row and the reference cache's invalidation.
struct MatterCatalogService {
    let req: Request

    var store: MatterCatalogStore { MatterCatalogStore(db: req.db) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "可委托事项清单由区专项工作组办公室维护", en: "the district office keeps the matter catalog"))

    func catalog() async throws -> [MatterTerms] {
        _ = try req.require(.contractsRead)
        return try await store.catalog()
    }

    func find(_ code: String) async throws -> (terms: MatterTerms, version: Int) {
        _ = try req.require(.contractsRead)
        guard let found = try await store.find(code) else { throw MatterCatalogStore.notFound }
        return found
    }

    func versions(_ code: String) async throws -> [MatterVersion] {
        _ = try await find(code)
        return try await store.versions(code)
    }

    func departments() async throws -> Set<String> {
        Set(try await req.caseReference().departments.keys)
    }

    func create(_ input: MatterInput) async throws -> MatterTerms {
        let actor = try req.requireActor()
        guard ContractAccess.maySetPrices(actor) else { throw Self.forbidden }
        let code = input.code.trimmingCharacters(in: .whitespaces).uppercased()
        let taken = try await store.find(code) != nil
        let terms: MatterTerms
        switch MatterRules.validate(input, existing: nil, codeTaken: taken, departments: try await departments()) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let note = input.note.trimmingCharacters(in: .whitespaces)
        try await store.create(terms, by: actor.user.displayName, at: req.now, note: note.isEmpty ? nil : note)
        req.application.caseReference.invalidate()
        try await req.audit(.ruleChanged, subject: "matter:\(terms.code)", detail: "created v1; \(Self.describe(terms))")
        return terms
    }

    /// A change of a matter's terms, a new version with its reason; the same terms again change nothing (a PUT may be
    /// repeated). Returns the terms and the version in force.
    func edit(_ code: String, _ input: MatterInput) async throws -> (terms: MatterTerms, version: Int) {
        let actor = try req.requireActor()
        // Permission before lookup: who may not edit learns nothing of which codes exist.
        guard ContractAccess.maySetPrices(actor) else { throw Self.forbidden }
        guard let current = try await store.find(code) else { throw MatterCatalogStore.notFound }
        let terms: MatterTerms
        switch MatterRules.validate(input, existing: current.terms, codeTaken: false, departments: try await departments()) {
        case .failure(let problems):
            // The same terms again, without a reason, are no change at all.
            if problems.problems.map(\.field) == ["note"], input.note.trimmingCharacters(in: .whitespaces).isEmpty, (try? MatterRules.validate(withNote(input), existing: current.terms, codeTaken: false,
                                                                                       departments: try await departments()).get()) == current.terms {
                return current
            }
            throw problems
        case .success(let t): terms = t
        }
        guard terms != current.terms else { return current }
        let version = try await store.update(terms, by: actor.user.displayName, at: req.now, note: input.note.trimmingCharacters(in: .whitespaces))
        req.application.caseReference.invalidate()
        try await req.audit(.ruleChanged, subject: "matter:\(terms.code)", detail: "v\(version); \(Self.describe(terms)); \(input.note)")
        return (terms, version)
    }

    private func withNote(_ input: MatterInput) -> MatterInput {
        var out = input
        out.note = "-"
        return out
    }

    static func describe(_ t: MatterTerms) -> String {
        "\(t.benchmarkFen) fen/\(t.unit); limit=\(t.timeLimitHours.map { "\($0)h" } ?? "categories"); beyond=\(t.beyondAuthority); owner=\(t.ownerDepartment ?? "-")"
    }

    /// A matter as it stands, as the input an edit starts from (the console's form, the price endpoint).
    static func input(_ t: MatterTerms, note: String = "") -> MatterInput {
        MatterInput(code: t.code, name: t.name, nameEn: t.nameEn, domain: t.domain.rawValue, ownerDepartment: t.ownerDepartment ?? "", unit: t.unit,
                    benchmarkFen: Double(t.benchmarkFen), timeLimitHours: t.timeLimitHours.map(String.init) ?? "", beyondAuthority: t.beyondAuthority, note: note)
    }

    // MARK: Street lists

    /// The street a code names, if the caller may read its list (street offices their own, the district everywhere,
    /// anyone who reads contracts); another street answers as missing.
    func street(_ code: String) async throws -> Area {
        let actor = try req.require(.contractsRead)
        let reference = try await req.caseReference()
        guard let street = reference.areasByCode[code], street.kind == .street, ContractAccess.mayReadMatterList(actor, streetID: street.id) else {
            throw DomainError.notFound(zh: "没有这个街道", en: "no such street")
        }
        return street
    }

    func streetList(_ code: String) async throws -> (street: Area, history: [StreetMatterList]) {
        let street = try await street(code)
        return (street, try await store.streetListHistory(street.id))
    }

    func setStreetList(_ code: String, matters: [String], note: String) async throws -> StreetMatterList {
        let actor = try req.requireActor()
        let street = try await street(code)
        guard ContractAccess.mayManage(actor, streetID: street.id) else {
            throw DomainError.forbidden(LocalizedText(zh: "委托事项清单由本街道办制定", en: "the street office draws up its own list"))
        }
        let catalog = Dictionary(uniqueKeysWithValues: try await store.catalog().map { ($0.code, $0) })
        let chosen: [String]
        switch MatterRules.validateList(matters, note: note, catalog: catalog) {
        case .failure(let problems): throw problems
        case .success(let c): chosen = c
        }
        let trimmed = note.trimmingCharacters(in: .whitespaces)
        let list = try await store.setStreetList(street.id, matters: chosen, by: actor.user.displayName, at: req.now, note: trimmed.isEmpty ? nil : trimmed)
        try await req.audit(.ruleChanged, subject: "matter-list:\(street.code)", detail: "v\(list.version); \(chosen.joined(separator: ","))")
        return list
    }
}

import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The asset register (部件普查, plan §6(3)): one use case per verb for the console and the API alike — list, read,
/// register, edit, import a file checked whole, link a case to its component — each with its access check
/// (`AssetAccess`) and an audit row.
struct AssetService {
    let req: Request

    var store: AssetStore { AssetStore(db: req.db) }

    static let editForbidden = DomainError.forbidden(LocalizedText(zh: "无权维护部件登记", en: "not allowed to keep the asset register"))

    func actor() throws -> (Actor, AssetScope) {
        let actor = try req.requireActor()
        let scope = AssetAccess.scope(for: actor)
        guard scope != .nothing else { throw DomainError.forbidden(LocalizedText(zh: "无权查看部件登记", en: "not allowed to see the asset register")) }
        return (actor, scope)
    }

    func reference() async throws -> AssetReference {
        let cases = try await req.caseReference()
        var components: [String: String] = [:]
        for c in cases.taxonomy.categories where c.kind == .component { components[c.code] = c.name }
        return AssetReference(components: components, departments: Set(cases.departments.keys),
                              maintainers: Set(cases.orgs.values.filter { $0.kind == .steward || $0.kind == .department }.map(\.code)),
                              places: Set(cases.facilities.keys))
    }

    /// Component class code → its name in the caller's language.
    func componentNames() async throws -> [String: String] {
        var out: [String: String] = [:]
        for c in try await req.caseReference().taxonomy.categories where c.kind == .component { out[c.code] = c.displayName(req.language) }
        return out
    }

    func list(_ filter: AssetFilter) async throws -> (rows: [AssetRow], total: Int) {
        let (_, scope) = try actor()
        return (try await store.list(scope, filter), try await store.count(scope, filter))
    }

    func asset(_ id: String) async throws -> AssetRow {
        let (_, scope) = try actor()
        guard let uuid = UUID(uuidString: id) else { throw AssetStore.notFound }
        return try await store.find(uuid, scope)
    }

    /// The area a component stands in: the grid at its position, which the caller must be able to keep.
    func locate(_ terms: AssetTerms, for actor: Actor, field: String = "lat") async throws -> Area {
        let reference = try await req.caseReference()
        guard let grid = try await req.application.gridLocator.grid(at: terms.position, store: AreaStore(db: req.db)), let area = reference.areas[grid.id] else {
            throw DomainError.unprocessable(field: field, LocalizedText(zh: "该位置不在任何网格内", en: "the position is in no grid"))
        }
        guard AccessPolicy.areaScope(for: actor).includes(area) else {
            throw DomainError.unprocessable(field: field, LocalizedText(zh: "该位置不在您负责的区域内", en: "the position is outside the areas you look after"))
        }
        return area
    }

    func validate(_ input: AssetInput) async throws -> AssetTerms {
        switch AssetRules.validate(input, reference: try await reference(), today: LocalDate.beijing(req.now)) {
        case .failure(let problems): throw problems
        case .success(let t): return t
        }
    }

    func create(_ input: AssetInput) async throws -> AssetRow {
        let (actor, _) = try actor()
        guard AssetAccess.mayEdit(actor) else { throw Self.editForbidden }
        let terms = try await validate(input)
        if try await store.find(code: terms.code) != nil {
            throw FieldProblems([FieldProblem(field: "code", reason: LocalizedText(zh: "编号 \(terms.code) 已登记", en: "the code \(terms.code) is registered already"))])
        }
        let area = try await locate(terms, for: actor)
        let row = store.make(terms, area: area, by: actor.user.id, at: req.now)
        let (now, who) = (req.now, actor)
        try await req.db.writeTransaction { tx in
            try await AssetStore(db: tx).save([row])
            try await AuditStore(db: tx).append(action: AuditAction.assetChanged.rawValue, subject: "asset:\(row.code)", detail: "registered \(row.componentCode) \(row.name)",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return row
    }

    /// New terms for a component in scope; its code stays (another code is another component).
    func edit(_ id: String, _ input: AssetInput) async throws -> AssetRow {
        let (actor, _) = try actor()
        let current = try await asset(id)
        guard AssetAccess.mayEdit(actor) else { throw Self.editForbidden }
        var typed = input
        typed.code = current.code
        let terms = try await validate(typed)
        let area = try await locate(terms, for: actor)
        let row = store.changed(current, to: terms, area: area, by: actor.user.id, at: req.now)
        let (now, who) = (req.now, actor)
        try await req.db.writeTransaction { tx in
            try await AssetStore(db: tx).save([row])
            try await AuditStore(db: tx).append(action: AuditAction.assetChanged.rawValue, subject: "asset:\(row.code)",
                                                detail: "changed \(row.name); \(current.condition) → \(row.condition)", actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return row
    }

    struct ImportOutcome {
        var created: Int
        var updated: Int
        /// Whether it was stored (false: a preview, or refused).
        var stored: Bool
        /// Every bad row (then nothing was stored).
        var problems: [AssetFile.RowProblem]

        static func refused(_ problems: [AssetFile.RowProblem]) -> ImportOutcome {
            ImportOutcome(created: 0, updated: 0, stored: false, problems: problems.sorted { ($0.row, $0.field) < ($1.row, $1.field) })
        }
    }

    /// A file of components (CSV or GeoJSON), checked whole: every bad row is named and nothing is stored while one
    /// is bad. A code already registered is updated (it must be in the caller's areas too). `commit: false` checks only.
    func importFile(_ data: Data, geoJSON: Bool, commit: Bool) async throws -> ImportOutcome {
        let (actor, _) = try actor()
        guard AssetAccess.mayEdit(actor) else { throw Self.editForbidden }
        let parsed: Result<[(row: Int, input: AssetInput)], AssetFile.Problems>
        if geoJSON {
            parsed = AssetFile.geoJSON(data)
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                return .refused([AssetFile.RowProblem(row: 0, field: "", reason: LocalizedText(zh: "文件应为 UTF-8 编码", en: "the file is not UTF-8"))])
            }
            parsed = AssetFile.csv(text)
        }
        let rows: [(row: Int, input: AssetInput)]
        switch parsed {
        case .failure(let problems): return .refused(problems.rows)
        case .success(let r): rows = r
        }
        let checked: [(row: Int, terms: AssetTerms)]
        switch AssetFile.check(rows, reference: try await reference(), today: LocalDate.beijing(req.now)) {
        case .failure(let problems): return .refused(problems.rows)
        case .success(let c): checked = c
        }
        let existing = try await store.existing(codes: checked.map(\.terms.code))
        var problems: [AssetFile.RowProblem] = []
        var toSave: [AssetRow] = []
        let scope = AccessPolicy.areaScope(for: actor)
        let reference = try await req.caseReference()
        for (row, terms) in checked {
            do {
                let area = try await locate(terms, for: actor, field: "position")
                if let old = existing[terms.code] {
                    guard let oldArea = reference.areas[old.areaId], scope.includes(oldArea) else {
                        problems.append(.init(row: row, field: "code", reason: LocalizedText(zh: "编号 \(terms.code) 已由其他区域登记", en: "the code \(terms.code) is registered in another area")))
                        continue
                    }
                    toSave.append(store.changed(old, to: terms, area: area, by: actor.user.id, at: req.now))
                } else {
                    toSave.append(store.make(terms, area: area, by: actor.user.id, at: req.now))
                }
            } catch let error as DomainError {
                problems.append(.init(row: row, field: "position", reason: error.message))
            }
        }
        guard problems.isEmpty else { return .refused(problems) }
        let updated = toSave.filter { existing[$0.code] != nil }.count
        let outcome = ImportOutcome(created: toSave.count - updated, updated: updated, stored: commit, problems: [])
        guard commit else { return outcome }
        let (now, who, saving) = (req.now, actor, toSave)
        try await req.db.writeTransaction { tx in
            try await AssetStore(db: tx).save(saving)
            try await AuditStore(db: tx).append(action: AuditAction.assetChanged.rawValue, subject: "assets:import",
                                                detail: "imported \(outcome.created) new, \(outcome.updated) updated", actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return outcome
    }

    /// Links a case (by its number) to the component it is about. Both must be in the caller's scope.
    func link(asset id: String, caseNumber: String) async throws -> AssetRow {
        let (actor, _) = try actor()
        let asset = try await asset(id)
        guard AssetAccess.mayLinkCases(actor) else { throw DomainError.forbidden(LocalizedText(zh: "无权关联案件", en: "not allowed to link cases")) }
        let number = caseNumber.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty else { throw DomainError.refused("case", zh: "请填写案件编号", en: "give the case number") }
        let found: CaseRow
        do {
            found = try await req.cases.find(number: number, scope: CaseAccess.scope(for: actor))
        } catch is DomainError {
            throw DomainError.unprocessable(field: "case", LocalizedText(zh: "没有案件 \(number)", en: "no case \(number)"))
        }
        let (now, who) = (req.now, actor)
        try await req.db.writeTransaction { tx in
            try await AssetStore(db: tx).link(case: found.id, to: asset.id, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assetChanged.rawValue, subject: "asset:\(asset.code)", detail: "case \(found.number) linked",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return asset
    }

    /// A component's cases, oldest first, with its times between failures and to repair.
    func history(_ asset: AssetRow) async throws -> (cases: [AssetCase], reliability: AssetReliability) {
        let cases = try await store.cases(assets: [asset.id])
        return (cases, AssetReliability.of(cases.map { .init(asset: $0.assetId, reportedAt: $0.reportedAt, closedAt: $0.closedAt) }))
    }

    struct ClassFigures {
        var component: String
        var name: String
        var registered: Int
        var reliability: AssetReliability
    }

    /// MTBF and MTTR per component class in scope (classes with a component registered).
    func reliabilityByClass() async throws -> [ClassFigures] {
        let (_, scope) = try actor()
        let counts = try await store.classCounts(scope)
        let failures = try await store.failuresByClass(scope)
        let names = try await componentNames()
        return counts.keys.sorted().map { code in
            ClassFigures(component: code, name: names[code] ?? code, registered: counts[code] ?? 0, reliability: AssetReliability.of(failures[code] ?? []))
        }
    }
}

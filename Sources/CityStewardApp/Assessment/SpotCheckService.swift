import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Spot inspections (抽查, plan §10, 谁委托谁监管): the district office, a street office or a department draws grids at
/// random with a recorded seed, inspects each against the place type's standard checklist from a phone (pass or fail
/// with photo and position), every failed item opens a case to whoever the routing makes responsible with its
/// deadline, and a re-inspection records it put right (or failing again). What they find feeds the assessment's
/// spot-check indicators. One use case per verb, for the console and the API alike.
struct SpotCheckService {
    let req: Request

    var store: SpotCheckStore { SpotCheckStore(db: req.db) }

    static let notAllowed = DomainError.forbidden(LocalizedText(zh: "无权查看抽查", en: "not allowed to see spot checks"))
    static let mayNotDraw = DomainError.forbidden(LocalizedText(zh: "只有区、街道和委托部门的检查人员可以组织抽查", en: "only the district's, streets' and departments' inspectors run spot checks"))

    struct Round {
        var round: SpotCheckRoundRow
        var area: Area?
        var spots: [SpotCheckRow]
    }

    func viewer() throws -> (Actor, OperationsScope) {
        let actor = try req.requireActor()
        let scope = SpotCheckAccess.viewScope(for: actor)
        guard scope != .nothing else { throw Self.notAllowed }
        return (actor, scope)
    }

    /// Whether a spot lies within what the caller sees: its area under the caller's areas, or its village served by the caller's steward.
    func visible(_ scope: OperationsScope) async throws -> @Sendable (SpotCheckRow) -> Bool {
        switch scope {
        case .all, .department: return { _ in true }
        case .nothing: return { _ in false }
        case .areas(let roots):
            let set = Set(roots.map { $0.uuidString.lowercased() })
            return { s in Area.decodePath(s.areaPath).contains { set.contains($0.uuidString.lowercased()) } }
        case .steward(let org):
            let served = try await TeamStore(db: req.db).stewardAreas(at: req.now)
            return { s in Area.decodePath(s.areaPath).reversed().lazy.compactMap { served[$0] }.first == org }
        }
    }

    /// The areas the caller may draw in: streets, communities and villages within its inspection scope.
    func drawableAreas() async throws -> [Area] {
        let actor = try req.requireActor()
        let reference = try await req.caseReference()
        let kinds: Set<AreaKind> = [.district, .street, .community, .village]
        let all = reference.areas.values.filter { kinds.contains($0.kind) }
        switch SpotCheckAccess.inspectScope(for: actor) {
        case .all: return all.sorted { $0.code < $1.code }
        case .areas(let roots): return all.filter { a in a.path.contains { roots.contains($0) } }.sorted { $0.code < $1.code }
        default: return []
        }
    }

    func rounds() async throws -> [(round: SpotCheckRoundRow, spots: [SpotCheckRow])] {
        let (_, scope) = try viewer()
        let rounds = try await store.rounds()
        let spots = Dictionary(grouping: try await store.spots(rounds: rounds.map(\.id)), by: \.roundId)
        let sees = try await visible(scope)
        return rounds.compactMap { r in
            let mine = (spots[r.id] ?? []).filter(sees)
            return mine.isEmpty && scope != .all ? nil : (r, mine.sorted { $0.position < $1.position })
        }
    }

    func round(_ id: String) async throws -> Round {
        let (_, scope) = try viewer()
        guard let uuid = UUID(uuidString: id) else { throw SpotCheckStore.roundNotFound }
        let round = try await store.round(uuid)
        let sees = try await visible(scope)
        let spots = try await store.spots(round: round.id).filter(sees)
        guard scope == .all || !spots.isEmpty else { throw SpotCheckStore.roundNotFound }
        return Round(round: round, area: try await req.caseReference().areas[round.scopeAreaId], spots: spots)
    }

    func spot(_ roundID: String, _ spotID: String) async throws -> (round: Round, spot: SpotCheckRow) {
        let round = try await round(roundID)
        guard let uuid = UUID(uuidString: spotID), let spot = round.spots.first(where: { $0.id == uuid }) else { throw SpotCheckStore.spotNotFound }
        return (round, spot)
    }

    /// Draws a round: the grids under the chosen area in code order, shuffled from a fresh random seed that is recorded
    /// with the population, so anyone can redo the draw.
    /// `linked` runs in the same transaction (an objection's re-check keeps its round): both are stored or neither.
    func draw(title: String, placeType: String, area code: String, count: Int?, day: LocalDate?,
              linked: (@Sendable (any Database, SpotCheckRoundRow) async throws -> Void)? = nil) async throws -> Round {
        let actor = try req.requireActor()
        guard SpotCheckAccess.inspectScope(for: actor) != .nothing, let org = actor.org else { throw Self.mayNotDraw }
        let reference = try await req.caseReference()
        let allowed = try await drawableAreas()
        let chosen = allowed.first { $0.code == code.trimmingCharacters(in: .whitespaces) }
        let grids = chosen.map { a in reference.areas.values.filter { $0.kind == .grid && $0.path.contains(a.id) }.sorted { $0.code < $1.code } } ?? []
        let terms: SpotCheckRoundTerms
        switch SpotCheckRules.validateRound(title: title, placeType: placeType, scope: chosen?.id, count: count, day: day, today: LocalDate.beijing(req.now),
                                            population: grids.count) {
        case .failure(let p): throw p
        case .success(let t): terms = t
        }
        var random = SystemRandomNumberGenerator()
        let seed = random.next()
        let drawn = SpotCheckDraw.draw(grids.map(\.code), count: terms.count, seed: seed)
        let id = UUID(), now = req.now
        let round = SpotCheckRoundRow(id: id, code: "", title: terms.title, placeType: terms.placeType.rawValue, scopeAreaId: terms.scope, orgId: org.id,
                                      day: terms.day.description, seed: SpotCheckDraw.text(seed), population: grids.map(\.code).joined(separator: ","),
                                      drawn: drawn.count, createdBy: actor.user.id, createdAt: now)
        let spots: [SpotCheckRow] = drawn.enumerated().compactMap { i, code in
            guard let g = reference.areasByCode[code] else { return nil }
            let village = reference.path(of: g).first { $0.kind == .village }
            return SpotCheckRow(id: UUID(), roundId: id, position: i + 1, gridId: g.id, gridCode: g.code, villageId: village?.id, areaPath: Area.encodePath(g.path))
        }
        let who = actor
        let made = try await req.db.writeTransaction { tx in
            let made = try await SpotCheckStore(db: tx).create(round, spots: spots)
            try await linked?(tx, made)
            try await AuditStore(db: tx).append(action: AuditAction.spotCheckDrawn.rawValue, subject: "spot-check:\(made.code)",
                                                detail: "\(made.title): \(made.placeType), \(spots.count) of \(grids.count) grids under \(chosen?.code ?? ""), seed \(made.seed)",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
        return Round(round: made, area: chosen, spots: spots)
    }

    struct Answer: Sendable {
        var value: String
        var photo: Data?
    }

    /// Records a drawn grid's inspection by one of the round's inspectors, standing in the grid (the position must lie
    /// in it). Each failed item opens a case through the one intake, keyed by the spot and item so a form resent after
    /// a failure opens nothing twice.
    func record(_ roundID: String, _ spotID: String, answers: [Answer], position: GeoPoint?) async throws -> (round: Round, spot: SpotCheckRow, cases: [Case]) {
        let actor = try req.requireActor()
        let (round, spot) = try await spot(roundID, spotID)
        guard SpotCheckAccess.mayRecord(actor, roundOrg: round.round.orgId) else { throw Self.mayNotDraw }
        guard spot.checkState == .pending else { throw DomainError.conflict(zh: "该抽查点已检查过", en: "this spot has already been inspected") }
        let type = round.round.type
        var problems: [FieldProblem] = []
        var findings: [SpotCheckFinding] = []
        switch SpotCheckRules.judge(type, answers: answers.map(\.value), photos: answers.map { $0.photo != nil }) {
        case .failure(let p): problems += p.problems
        case .success(let f): findings = f
        }
        if let position {
            let grid = try await req.application.gridLocator.grid(at: position, store: AreaStore(db: req.db))
            if grid?.id != spot.gridId {
                problems.append(FieldProblem(field: "lat", reason: LocalizedText(zh: "您所在的位置不在抽中的网格 \(spot.gridCode) 内", en: "your position is not inside the drawn grid \(spot.gridCode)")))
            }
        } else {
            problems.append(FieldProblem(field: "lat", reason: LocalizedText(zh: "请在现场开启定位后提交", en: "turn on location on the spot and send again")))
        }
        guard problems.isEmpty, let position else { throw FieldProblems(problems) }
        for a in answers { if let photo = a.photo { _ = try PreparedPhoto.prepare([(photo, .report)], policy: .standard) } }
        let now = req.now
        let intake = ReportCase(request: req)
        var cases: [Case] = []
        for i in findings.indices where !findings[i].passed {
            let item = type.items[findings[i].item]
            let report = CaseReport(category: item.category, position: position, placeCode: nil,
                                    description: "抽查不合格（\(round.round.code) \(round.round.title)）：\(item.label.zh)", urgency: nil)
            let photos = answers[findings[i].item].photo.map { [($0, PhotoRole.report)] } ?? []
            let opened = try await intake.run(ReportCase.Input(report: report, source: .patrol, photos: photos,
                                                               idempotencyKey: "spot-check:\(spot.id.uuidString.lowercased()):\(findings[i].item)"),
                                              actor: actor, now: now).saved
            findings[i].caseNumber = opened.number
            findings[i].deadline = opened.workflow.deadline
            cases.append(opened)
        }
        let (who, found, numbers) = (actor, findings, cases.map(\.number).joined(separator: ","))
        let saved = try await req.db.writeTransaction { tx in
            let saved = try await SpotCheckStore(db: tx).record(spot, findings: found, by: who.user.id, at: now, position: position)
            try await AuditStore(db: tx).append(action: AuditAction.spotCheckRecorded.rawValue, subject: "spot-check:\(round.round.code)",
                                                detail: "grid \(spot.gridCode): \(found.count) items, \(saved.failed) failed\(numbers.isEmpty ? "" : "; cases " + numbers)",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return saved
        }
        return (round, saved, cases)
    }

    /// A re-inspection of a spot's open failed items: each put right or failing again.
    func recheck(_ roundID: String, _ spotID: String, answers: [Int: String]) async throws -> (round: Round, spot: SpotCheckRow) {
        let actor = try req.requireActor()
        let (round, spot) = try await spot(roundID, spotID)
        guard SpotCheckAccess.mayRecord(actor, roundOrg: round.round.orgId) else { throw Self.mayNotDraw }
        guard let findings = spot.decodedFindings else { throw DomainError.conflict(zh: "该抽查点尚未检查", en: "this spot has not been inspected yet") }
        let now = req.now
        let next: [SpotCheckFinding]
        switch SpotCheckRules.recheck(findings, answers: answers, now: now) {
        case .failure(let p): throw p
        case .success(let f): next = f
        }
        let who = actor
        let saved = try await req.db.writeTransaction { tx in
            let saved = try await SpotCheckStore(db: tx).recheck(spot, findings: next, at: now)
            let fixed = next.filter { $0.rectifiedAt == now }.count, again = next.filter { $0.failedAgainAt == now }.count
            try await AuditStore(db: tx).append(action: AuditAction.spotCheckRecorded.rawValue, subject: "spot-check:\(round.round.code)",
                                                detail: "grid \(spot.gridCode) re-inspected: \(fixed) put right, \(again) still failing",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return saved
        }
        return (round, saved)
    }
}

import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Bulk dispatch (批量派遣): the dispatcher sends several filed or returned cases on at once, each through the same
/// use case as one (`ActOnCase`: its rules, revision check, audit and notifications). Each case stands alone: one that
/// may not be dispatched (another state now, out of scope) is reported with its reason and does not stop the others.
struct DispatchCases {
    let req: Request
    static let maxCases = 200

    struct Outcome: Content {
        var dispatched: [String]
        var refused: [Refused]

        struct Refused: Content {
            var id: String
            var number: String?
            var reason: String
        }
    }

    func run(_ ids: [String], responsibleID: UUID?) async throws -> Outcome {
        let actor = try req.require(.casesWork)
        let unique = Array(NSOrderedSet(array: ids.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })) as? [String] ?? []
        guard !unique.isEmpty else {
            throw DomainError.invalid("ids", zh: "请选择要派遣的案件", en: "choose the cases to dispatch")
        }
        guard unique.count <= Self.maxCases else {
            throw DomainError.invalid("ids", zh: "一次最多派遣 \(Self.maxCases) 件", en: "at most \(Self.maxCases) cases at a time")
        }
        var outcome = Outcome(dispatched: [], refused: [])
        let scope = CaseAccess.scope(for: actor)
        for id in unique {
            guard let uuid = UUID(uuidString: id), let row = try? await req.cases.find(uuid, scope: scope) else {
                outcome.refused.append(.init(id: id, number: nil, reason: req.language == .en ? "no such case" : "没有这个案件"))
                continue
            }
            do {
                let done = try await ActOnCase(request: req).run(caseID: uuid, input: .init(action: .dispatch, responsibleID: responsibleID), actor: actor, now: req.now)
                outcome.dispatched.append(done.number)
            } catch let error as DomainError {
                outcome.refused.append(.init(id: id, number: row.number, reason: error.message(req.language)))
            } catch let conflict as CaseConflict {
                outcome.refused.append(.init(id: id, number: row.number, reason: conflict.error.message(req.language)))
            }
        }
        return outcome
    }
}

import FluentKit

/// Who acted on a contract, as an account (names alone cannot tell two people apart): signing needs a second person.
struct AddContractEventActors: AsyncMigration {
    let name = "0037_add_contract_event_actors"

    func prepare(on db: any Database) async throws {
        try await db.schema("contract_events").field("actor_id", .uuid).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("contract_events").deleteField("actor_id").update()
    }
}

import FluentKit

/// Every migration, in order. Numbered, explicitly named (the default name includes the module), frozen once
/// landed, additive only so SQLite runs them too (reference/style.md §7.3).
public enum CityStewardMigrations {
    public static let all: [any Migration] = [
        CreateAreas(),
        CreateOrgs(),
        CreateOrgAreas(),
        CreateUsers(),
        CreateAPITokens(),
        CreateLoginThrottle(),
        CreateCategories(),
        CreateMatters(),
        CreateEntrustedMatters(),
        CreateCases(),
        CreateCaseEvents(),
        CreateCasePhotos(),
        CreateCaseCounters(),
        CreateJobLeases(),
        CreateNotifications(),
        CreateFacilities(),
        CreateResidentReports(),
        IndexCasesUpdated(),
        CreateAuditLog(),
        CreateResidents(),
        CreateDevices(),
        CreateDeviceEvents(),
        CreateDataConsumers(),
        CreateGateCounts(),
        CreateConsumerWebhooks(),
        CreateContracts(),
        CreateBilling(),
        CreateLedger(),
        CreateCaseTallies(),
        IndexCaseQueues(),
        CreatePhoneChallenges(),
        AddEntrustmentTimeLimits(),
        AddCategoryHandlingEvidence(),
        AddMatterTerms(),
        CreateMatterVersions(),
        CreateStreetMatterLists(),
    ]
}

namespace MedLedger.Sharing;

/// <summary>
/// The off-chain side of records (ARCHITECTURE §2): FHIR handling, sensitivity tiers, de-identification,
/// envelope encryption and the read path's checks.
/// </summary>
internal static class AssemblyInfo
{
}

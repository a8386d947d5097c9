using System.Text.Json;

namespace Baton.Storage.Compliance;

/// <summary>
/// Any value as JSON (reflection-based, every public property, byte arrays as base64): two snapshots are equal
/// exactly when every field is, which record equality cannot promise for lists and arrays.
/// </summary>
internal static class Snapshot
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static string Of(object? value) => JsonSerializer.Serialize(value, Options);
}

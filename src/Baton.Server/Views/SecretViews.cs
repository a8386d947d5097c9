using System.Text.Json.Serialization;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Definitions;
using Baton.Engine.Execution;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Server.Api;
using Baton.Server.Auth;

namespace Baton.Server.Views;

/// <summary>What is known about a secret, never its value: the API's <c>GET /api/secrets/{key}/metadata</c> and the console's page of the secret.</summary>
public sealed record SecretMetadataView(
    string Name,
    string? Description,
    int CurrentVersion,
    string? CreatedBy,
    long CreatedAt,
    string? UpdatedBy,
    long UpdatedAt,
    long? LastUsedAt,
    IReadOnlyList<TagView> Tags,
    IReadOnlyList<DefinitionReferenceView> ReferencedBy,
    IReadOnlyList<BindingView> Bindings);

public sealed record TagView(string Key, string Value);

/// <summary>A definition version that names a secret.</summary>
public sealed record DefinitionReferenceView(string Name, int Version);

/// <summary>A secret's binding to a definition version, and whether it still covers that version as stored now.</summary>
public sealed record BindingView(string WorkflowName, int Version, string? Fingerprint, bool Current);

/// <summary>One version of a secret (metadata only).</summary>
public sealed record SecretVersionView(int Version, bool Current, string Kind, string? CreatedBy, long CreatedAt, bool Destroyed, long? DestroyedAt);

/// <summary>
/// The views of a secret, built in one place for the API and the console, as the caller may see them: the definitions
/// and bindings listed are only those the caller may READ (holding a secret's EXECUTE must not tell the names of
/// definitions one may not see). Never a value: the views hold no field that could carry one.
/// </summary>
public static class SecretViews
{
    public static async Task<SecretMetadataView> MetadataAsync(HttpRequest request, string name, SecretVault vault, AccessControl access, DefinitionCatalog catalog, CancellationToken ct)
    {
        var record = await vault.GetRecordAsync(name, ct);
        return new SecretMetadataView(record.Name, record.Description, record.CurrentVersion, record.CreatedBy, record.CreatedAt, record.UpdatedBy,
            record.UpdatedAt, record.LastUsedAt, Tags(record.Tags), await ReferencingDefinitionsAsync(request, name, catalog, ct),
            await BindingsAsync(request, name, access, catalog, ct));
    }

    public static async Task<IReadOnlyList<SecretVersionView>> VersionsAsync(string name, SecretVault vault, CancellationToken ct)
    {
        var record = await vault.GetRecordAsync(name, ct);
        return [.. (await vault.VersionsAsync(name, ct)).Select(v =>
            new SecretVersionView(v.Version, v.Version == record.CurrentVersion, v.Kind, v.CreatedBy, v.CreatedAt, v.DestroyedAt is not null, v.DestroyedAt))];
    }

    public static IReadOnlyList<TagView> Tags(IReadOnlyList<SecretTag> tags) => [.. tags.Select(t => new TagView(t.Key, t.Value))];

    /// <summary>The definition versions that name the secret, of those the caller may READ.</summary>
    public static async Task<IReadOnlyList<DefinitionReferenceView>> ReferencingDefinitionsAsync(HttpRequest request, string secret, DefinitionCatalog catalog, CancellationToken ct)
    {
        var found = new List<DefinitionReferenceView>();
        foreach (var def in await catalog.ListWorkflowDefsAsync(ct))
        {
            if (DefinitionSecrets.Names(def).Contains(secret, StringComparer.Ordinal)
                && await Guard.HoldsAsync(request, new Target(TargetTypes.WorkflowDef, def.Name), AccessRight.Read))
            {
                found.Add(new DefinitionReferenceView(def.Name, def.Version));
            }
        }
        return found;
    }

    /// <summary>A secret's bindings to definitions the caller may READ, each with whether it still covers the version as stored now.</summary>
    public static async Task<IReadOnlyList<BindingView>> BindingsAsync(HttpRequest request, string secret, AccessControl access, DefinitionCatalog catalog, CancellationToken ct)
    {
        var list = new List<BindingView>();
        foreach (var id in access.BindingsOf(secret))
        {
            if (SecretEndpoints.ParseBinding(id) is not { } binding) continue;
            if (!await Guard.HoldsAsync(request, new Target(TargetTypes.WorkflowDef, binding.Name), AccessRight.Read)) continue;
            string? stored = null;
            try
            {
                stored = DefinitionFingerprint.Of(await catalog.GetWorkflowDefAsync(binding.Name, binding.Version, ct));
            }
            catch (NotFoundException)
            {
                // The definition version is gone; the binding covers nothing until the same content is saved again.
            }
            list.Add(new BindingView(binding.Name, binding.Version, binding.Fingerprint, stored == binding.Fingerprint));
        }
        return list;
    }
}

/// <summary>The shared views as JSON: camelCase, and a null written as null (as the API's answers always had them).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SecretMetadataView))]
[JsonSerializable(typeof(IReadOnlyList<SecretVersionView>))]
[JsonSerializable(typeof(IReadOnlyList<BindingView>))]
[JsonSerializable(typeof(BindingView))]
[JsonSerializable(typeof(IReadOnlyList<DefinitionReferenceView>))]
internal sealed partial class ViewJsonContext : JsonSerializerContext;

using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Engine.Execution;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Server.Api;
using Baton.Server.Auth;

namespace Baton.Server.Console;

/// <summary>
/// What the console's pages do, through the services and checks the API uses (the vault checks CREATE/UPDATE through
/// the one policy; tag rights through <see cref="AccessEndpoints.CheckTagRights"/>). A refusal or bad input becomes a
/// message on the page, never a 500.
/// </summary>
public static class ConsoleActions
{
    private const AccessRight Use = AccessRight.Read | AccessRight.Execute;

    public static async Task<IReadOnlyList<SecretRecord>> VisibleSecretsAsync(HttpContext context, SecretVault vault, AccessControl access, CancellationToken ct)
    {
        var caller = Caller.Of(context);
        var model = access.Model;
        return [.. (await vault.ListAsync(includeDeleted: false, ct))
            .Where(r => (model.RightsOn(caller, new Target(TargetTypes.SecretName, r.Name), AccessControl.ToResourceTags(r.Tags)) & Use) != 0)
            .OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>Deleted secrets the caller could restore (DELETE or UPDATE, as POST /api/secrets/{key}/restore needs), newest deletion first.</summary>
    public static async Task<IReadOnlyList<SecretRecord>> RestorableSecretsAsync(HttpContext context, SecretVault vault, AccessControl access, CancellationToken ct)
    {
        var caller = Caller.Of(context);
        var model = access.Model;
        return [.. (await vault.ListAsync(includeDeleted: true, ct))
            .Where(r => r.DeletedAt is not null)
            .Where(r => (model.RightsOn(caller, new Target(TargetTypes.SecretName, r.Name), AccessControl.ToResourceTags(r.Tags)) & (AccessRight.Delete | AccessRight.Update)) != 0)
            .OrderByDescending(r => r.DeletedAt)];
    }

    public static async Task<(bool Failed, string Message)> AddSecretAsync(HttpContext context, SecretVault vault, AccessControl access, string? name, string? value, string? tags, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) return (true, "Secret Name is required.");
        if (string.IsNullOrEmpty(value)) return (true, "Secret Value is required.");
        return await GuardAsync(async () =>
        {
            var parsed = ParseTags(tags);
            var version = await vault.PutAsync(name.Trim(), SecretValue.FromString(value), null, null, Caller.Of(context).Id, ct);
            if (parsed.Count > 0) await SetTagsCheckedAsync(context, vault, access, name.Trim(), parsed, ct);
            return $"Saved '{name.Trim()}' (version {version}).";
        });
    }

    public static async Task<(bool Failed, string Message)> TagSecretAsync(HttpContext context, SecretVault vault, AccessControl access, string? name, string? tags, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) return (true, "Secret Name is required.");
        return await GuardAsync(async () =>
        {
            var parsed = ParseTags(tags);
            if (parsed.Count == 0) return "Tags are required (key:value).";
            await SetTagsCheckedAsync(context, vault, access, name.Trim(), parsed, ct);
            return $"Tagged '{name.Trim()}'.";
        });
    }

    /// <summary>PUT /api/secrets/{key}/tags's checks: UPDATE on the secret (its route rule) and the tag rights.</summary>
    private static async Task SetTagsCheckedAsync(HttpContext context, SecretVault vault, AccessControl access, string name, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        var caller = Caller.Of(context);
        var record = (await vault.ListAsync(includeDeleted: false, ct)).FirstOrDefault(r => r.Name == name)
            ?? throw new SecretNotFoundException($"No secret named '{name}'");
        if ((access.Model.RightsOn(caller, new Target(TargetTypes.SecretName, name), AccessControl.ToResourceTags(record.Tags)) & AccessRight.Update) == 0)
        {
            throw new ForbiddenException($"Forbidden: needs UPDATE on secret_name '{name}'");
        }
        AccessEndpoints.CheckTagRights(context.Request, access, AccessControl.ToResourceTags(tags));
        await vault.SetTagsAsync(name, tags, caller.Id, ct);
    }

    internal static List<SecretTag> ParseTags(string? text)
    {
        var tags = new List<SecretTag>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == part.Length - 1) throw new SecretRequestException("tags", $"the tag '{part}' is not key:value");
            tags.Add(new SecretTag(part[..colon].Trim(), part[(colon + 1)..].Trim()));
        }
        return tags;
    }

    /// <summary>Runs a page action; a refusal or bad input becomes the page's message, never a 500.</summary>
    /// <summary>Every problem of a refused request with its path, as the API's 400 lists them.</summary>
    private static string Problems(IReadOnlyList<Core.Validation.ValidationProblem> problems) =>
        string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}"));

    internal static async Task<(bool, string)> GuardAsync(Func<Task<string>> act)
    {
        try
        {
            return (false, await act());
        }
        catch (InvalidRequestException e)
        {
            return (true, Problems(e.Problems));
        }
        catch (AccessRequestException e)
        {
            return (true, Problems(e.Problems));
        }
        catch (Exception e) when (e is SecretRequestException or SecretAccessDeniedException or ForbiddenException or SecretNotFoundException
            or SecretVersionConflictException or SecretTooLargeException or SecretNameReservedException or InvalidRequestException or ConflictException
            or AccessDeniedException or NotFoundException or AccessRequestException or AccessNotFoundException)
        {
            return (true, e.Message);
        }
    }
}

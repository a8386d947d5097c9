using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Core.Validation;
using Baton.Engine.Environment;
using Baton.Engine.Execution;
using Baton.Secrets.Service;
using Baton.Server.Auth;
using Baton.Server.Views;

namespace Baton.Server.Api;

/// <summary>
/// The Orkes access API: users, groups, applications with access keys, and grants
/// (<c>/api/auth/authorization</c>, <c>/api/auth/subjects</c>). Every change is validated whole before anything is
/// written, and audited.
/// </summary>
public static class AccessEndpoints
{

    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        MapUsers(app);
        MapGroups(app);
        MapApplications(app);
        MapAuthorization(app);
    }

    // ---- users --------------------------------------------------------------------------------------------------

    private static void MapUsers(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Access");
        var admin = AccessRule.Role(Roles.Admin);

        users.MapGet("/", (AccessControl access) =>
            Json(access.Model.Users.Values.OrderBy(u => u.Id).Select(AccessViews.User)))
            .WithMetadata(admin).WithSummary("Every user");

        users.MapGet("/{id}", (string id, AccessControl access) =>
            Json(AccessViews.User(access.Model.Users.GetValueOrDefault(id) ?? throw new AccessNotFoundException($"No user '{id}'"))))
            .WithMetadata(admin).WithSummary("One user");

        users.MapPut("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
            var user = await access.PutUserAsync(id, TokenEndpoints.Text(body, "name"), Strings(body, "roles"), Strings(body, "groups"), TokenEndpoints.Text(body, "password"), request.CallerOf(), ct);
            return Json(AccessViews.User(user));
        }).WithMetadata(admin).Accepts<JsonObject>("application/json")
          .WithSummary("Create or update a user: {\"name\",\"roles\",\"groups\",\"password\"}; the id is the email");

        users.MapDelete("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.DeleteUserAsync(id, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).WithSummary("Delete a user and its grants; its tokens stop at once");

        var selfOrAdmin = AccessRule.Custom("ADMIN, or the user itself", c =>
            ValueTask.FromResult(c.Principal.IsAdmin || string.Equals(c.Principal.Id, c.Route("id"), StringComparison.OrdinalIgnoreCase) ? null : "needs the role ADMIN (or to be that user)"));

        users.MapGet("/{id}/permissions", (string id, AccessControl access) =>
        {
            var model = access.Model;
            var principal = model.PrincipalOf(id) ?? throw new AccessNotFoundException($"No user '{id}'");
            var granted = new JsonArray();
            foreach (var subject in principal.Subjects)
            {
                foreach (var (target, rights) in model.GrantsTo(subject)) granted.Add(GrantView(target, rights, subject));
            }
            return Results.Json(new JsonObject { ["grantedAccess"] = granted, ["roles"] = Names(principal.Roles) }, BatonJson.Context.JsonObject);
        }).WithMetadata(selfOrAdmin).WithSummary("The grants that apply to a user: its own, its groups' and its roles'");

        users.MapGet("/{id}/checkPermissions", async (string id, string? type, string? targetId, HttpRequest request, AccessControl access, ResourceTags tags, CancellationToken ct) =>
        {
            targetId ??= request.Query["id"].ToString();
            var target = ParseTarget(type, targetId, "$");
            var model = access.Model;
            var principal = model.PrincipalOf(id) ?? throw new AccessNotFoundException($"No user '{id}'");
            var rights = model.RightsOn(principal, target, await tags.OfAsync(target, ct));
            var answer = new JsonObject();
            foreach (var right in AccessRights.Singles(AccessRight.All)) answer[AccessRights.Name(right)] = rights.HasFlag(right);
            return Results.Json(answer, BatonJson.Context.JsonObject);
        }).WithMetadata(selfOrAdmin).WithSummary("Which accesses a user holds on ?type=&id=, from roles, grants and tags");
    }

    // ---- groups -------------------------------------------------------------------------------------------------

    private static void MapGroups(IEndpointRouteBuilder app)
    {
        var groups = app.MapGroup("/api/groups").WithTags("Access");
        var admin = AccessRule.Role(Roles.Admin);

        groups.MapGet("/", (AccessControl access) =>
            Json(access.Model.Groups.Values.OrderBy(g => g.Id).Select(AccessViews.Group)))
            .WithMetadata(admin).WithSummary("Every group");

        groups.MapGet("/{id}", (string id, AccessControl access) =>
            Json(AccessViews.Group(access.Model.Groups.GetValueOrDefault(id) ?? throw new AccessNotFoundException($"No group '{id}'"))))
            .WithMetadata(admin).WithSummary("One group");

        groups.MapPut("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
            var group = await access.PutGroupAsync(id, TokenEndpoints.Text(body, "description"), Strings(body, "roles"), request.CallerOf(), ct);
            return Json(AccessViews.Group(group));
        }).WithMetadata(admin).Accepts<JsonObject>("application/json").WithSummary("Create or update a group: {\"description\",\"roles\"}");

        groups.MapDelete("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.DeleteGroupAsync(id, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).WithSummary("Delete a group: its members leave it and its grants go");

        groups.MapGet("/{id}/users", (string id, AccessControl access) =>
        {
            var model = access.Model;
            if (!model.Groups.ContainsKey(id)) throw new AccessNotFoundException($"No group '{id}'");
            return Json(model.Users.Values.Where(u => u.Groups.Contains(id)).OrderBy(u => u.Id).Select(AccessViews.User));
        }).WithMetadata(admin).WithSummary("A group's members");

        groups.MapPost("/{id}/users/{userId}", async (string id, string userId, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.SetMembershipAsync(id, [userId], add: true, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).WithSummary("Add a user to a group");

        groups.MapDelete("/{id}/users/{userId}", async (string id, string userId, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.SetMembershipAsync(id, [userId], add: false, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).WithSummary("Remove a user from a group");

        groups.MapPost("/{id}/users", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.SetMembershipAsync(id, await UserListAsync(request), add: true, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).Accepts<List<string>>("application/json").WithSummary("Add users to a group: [\"email\", ...]");

        groups.MapDelete("/{id}/users", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.SetMembershipAsync(id, await UserListAsync(request), add: false, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(admin).Accepts<List<string>>("application/json").WithSummary("Remove users from a group: [\"email\", ...]");

        groups.MapGet("/{id}/permissions", (string id, AccessControl access) =>
        {
            var model = access.Model;
            if (!model.Groups.ContainsKey(id)) throw new AccessNotFoundException($"No group '{id}'");
            var subject = new Subject(SubjectTypes.Group, id);
            return Results.Json(new JsonObject { ["grantedAccess"] = new JsonArray([.. model.GrantsTo(subject).Select(g => (JsonNode)GrantView(g.Key, g.Value, subject))]) }, BatonJson.Context.JsonObject);
        }).WithMetadata(admin).WithSummary("The grants to a group");
    }

    // ---- applications ----------------------------------------------------------------------------------------------

    private static void MapApplications(IEndpointRouteBuilder app)
    {
        var apps = app.MapGroup("/api/applications").WithTags("Access");
        AccessRule On(AccessRight right) => AccessRule.On(TargetTypes.Application, right, "id");

        apps.MapPost("/", async (HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
            return Json(AccessViews.Application(await access.CreateApplicationAsync(TokenEndpoints.Text(body, "name"), request.CallerOf(), ct)));
        }).WithMetadata(AccessRule.OnSome(TargetTypes.Application, AccessRight.Create)).Accepts<JsonObject>("application/json")
          .WithSummary("Create an application (a service account): {\"name\"}");

        apps.MapGet("/", async (HttpRequest request, AccessControl access, CancellationToken ct) =>
            Json((await ReadableApplicationsAsync(request, access, ct)).Select(AccessViews.Application))).WithMetadata(AccessRule.OnSome(TargetTypes.Application, AccessRight.Read)).WithSummary("The applications the caller may read");

        apps.MapGet("/{id}", (string id, AccessControl access) => Json(AccessViews.Application(AppOf(access, id))))
            .WithMetadata(On(AccessRight.Read)).WithSummary("One application");

        apps.MapPut("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject);
            var name = TokenEndpoints.Text(body, "name");
            if (string.IsNullOrWhiteSpace(name) || name.Length > 256) throw new AccessRequestException("$.name", "an application needs a name of 1 to 256 characters");
            return Json(AccessViews.Application(await access.UpdateApplicationAsync(id, a => a with { Name = name }, "application-update", $"name {name}", request.CallerOf(), ct)));
        }).WithMetadata(On(AccessRight.Update)).Accepts<JsonObject>("application/json").WithSummary("Rename an application: {\"name\"}");

        apps.MapDelete("/{id}", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.DeleteApplicationAsync(id, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Delete)).WithSummary("Delete an application with its keys and grants; its tokens stop at once");

        apps.MapPost("/{id}/roles/{role}", async (string id, string role, HttpRequest request, AccessControl access, CancellationToken ct) =>
            Json(AccessViews.Application(await access.AddApplicationRoleAsync(id, role, request.CallerOf(), ct))))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Give an application a role (the admin-only roles need ADMIN)");

        apps.MapDelete("/{id}/roles/{role}", async (string id, string role, HttpRequest request, AccessControl access, CancellationToken ct) =>
            Json(AccessViews.Application(await access.RemoveApplicationRoleAsync(id, role, request.CallerOf(), ct))))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Take a role from an application");

        apps.MapPost("/{id}/accessKeys", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var (key, secret) = await access.CreateAccessKeyAsync(id, request.CallerOf(), ct);
            return Results.Json(new JsonObject { ["id"] = key.Id, ["secret"] = secret }, BatonJson.Context.JsonObject);
        }).WithMetadata(On(AccessRight.Update)).WithSummary("A new access key: {\"id\",\"secret\"}; the secret is shown this once");

        apps.MapGet("/{id}/accessKeys", (string id, AccessControl access) =>
        {
            AppOf(access, id);
            return Json(access.Model.Keys.Values.Where(k => k.ApplicationId == id).OrderBy(k => k.CreatedAt).Select(AccessViews.Key));
        }).WithMetadata(On(AccessRight.Read)).WithSummary("An application's keys (ids and status, never secrets)");

        apps.MapDelete("/{id}/accessKeys/{keyId}", async (string id, string keyId, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            await access.DeleteAccessKeyAsync(id, keyId, request.CallerOf(), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Update)).WithSummary("Delete an access key; its tokens stop at once");

        apps.MapPost("/{id}/accessKeys/{keyId}/status", async (string id, string keyId, HttpRequest request, AccessControl access, CancellationToken ct) =>
            Json(AccessViews.Key(await access.ToggleAccessKeyAsync(id, keyId, request.CallerOf(), ct))))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Pause an active key or reactivate a paused one (a paused key's tokens stop at once)");

        apps.MapGet("/key/{accessKeyId}", (string accessKeyId, AccessControl access) =>
        {
            var key = access.Model.Keys.GetValueOrDefault(accessKeyId) ?? throw new AccessNotFoundException($"No access key '{accessKeyId}'");
            return Json(AccessViews.Application(AppOf(access, key.ApplicationId)));
        }).WithMetadata(AccessRule.Role(Roles.ApplicationManager)).WithSummary("The application an access key belongs to");

        apps.MapPut("/{id}/tags", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var tags = await TagListAsync(request);
            CheckTagRights(request, access, tags);
            return Json(AccessViews.Application(await access.UpdateApplicationAsync(id,
                a => a with { Tags = [.. a.Tags.Where(t => !tags.Any(n => n.Key == t.Key)), .. tags] }, "application-tags", "set " + string.Join(", ", tags.Select(t => t.TargetId)), request.CallerOf(), ct)));
        }).WithMetadata(On(AccessRight.Update)).Accepts<List<JsonObject>>("application/json").WithSummary("Add or replace tags: [{\"key\",\"value\"}]");

        apps.MapGet("/{id}/tags", (string id, AccessControl access) =>
            Results.Json(new JsonArray([.. AppOf(access, id).Tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]), BatonJson.Context.JsonArray))
            .WithMetadata(On(AccessRight.Read)).WithSummary("An application's tags");

        apps.MapDelete("/{id}/tags", async (string id, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var tags = await TagListAsync(request);
            CheckTagRights(request, access, tags);
            return Json(AccessViews.Application(await access.UpdateApplicationAsync(id,
                a => a with { Tags = [.. a.Tags.Where(t => !tags.Any(n => n.Key == t.Key && n.Value == t.Value))] }, "application-tags", "removed " + string.Join(", ", tags.Select(t => t.TargetId)), request.CallerOf(), ct)));
        }).WithMetadata(On(AccessRight.Update)).Accepts<List<JsonObject>>("application/json").WithSummary("Remove tags: [{\"key\",\"value\"}]");
    }

    // ---- grants -------------------------------------------------------------------------------------------------

    private static void MapAuthorization(IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Access");
        // Granting needs UPDATE on something; the handler then checks the target itself.
        var mayGrant = AccessRule.Custom("UPDATE on some resource (the target is checked in the handler)", c =>
            ValueTask.FromResult(c.Principal.IsAdmin || TargetTypes.All.Any(t => c.Model.MayOnSome(c.Principal, t, AccessRight.Update)) ? null : "needs UPDATE on the target of the grant"));

        auth.MapPost("/authorization", async (HttpRequest request, CancellationToken ct) =>
        {
            await ChangeGrantAsync(request, await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject), remove: false, ct);
            return Results.Json(new JsonObject { ["message"] = "Granted permission" }, BatonJson.Context.JsonObject);
        }).WithMetadata(mayGrant).Accepts<JsonObject>("application/json")
          .WithSummary("Grant: {\"subject\":{\"type\":\"USER|GROUP|ROLE\",\"id\"},\"target\":{\"type\",\"id\"},\"access\":[\"READ\",...]}");

        auth.MapDelete("/authorization", async (HttpRequest request, CancellationToken ct) =>
        {
            await ChangeGrantAsync(request, await JsonBody.ReadAsync(request, BatonJson.Context.JsonObject), remove: true, ct);
            return Results.Json(new JsonObject { ["message"] = "Removed permission" }, BatonJson.Context.JsonObject);
        }).WithMetadata(mayGrant).Accepts<JsonObject>("application/json").WithSummary("Revoke the listed accesses (same body as grant)");

        auth.MapGet("/authorization/{type}/{id}", (string type, string id, string? groupBy, AccessControl access) =>
        {
            var target = ParseTarget(type, id, "$");
            var grants = access.Model.GrantsOn(target);
            var answer = new JsonObject();
            if (string.Equals(groupBy, "subject", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (subject, rights) in grants.OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)) answer[subject.ToString()] = Names(AccessRights.ToNames(rights));
            }
            else
            {
                foreach (var right in AccessRights.Singles(AccessRight.All))
                {
                    var holders = grants.Where(g => g.Value.HasFlag(right)).Select(g => (JsonNode)SubjectView(g.Key)).ToArray();
                    if (holders.Length > 0) answer[AccessRights.Name(right)] = new JsonArray(holders);
                }
            }
            return Results.Json(answer, BatonJson.Context.JsonObject);
        }).WithMetadata(AccessRule.Custom("READ on the target", async c =>
        {
            var target = new Target(TargetTypes.Normalize(c.Route("type")) ?? c.Route("type"), c.Route("id"));
            return await c.HoldsAsync(target, AccessRight.Read) ? null : $"needs READ on {target.Type} '{target.Id}'";
        })).WithSummary("Who holds which access on a target (?groupBy=access|subject)");

        var subjects = auth.MapGroup("/subjects/{type}/{id}/grants");
        var selfOrAdmin = AccessRule.Custom("ADMIN, or the subject itself", c =>
            ValueTask.FromResult(c.Principal.IsAdmin || c.Principal.Subjects.Contains(SubjectTypes.Normalize(c.Route("type"), c.Route("id"))) ? null : "needs the role ADMIN (or to be that subject)"));

        subjects.MapGet("/", (string type, string id, string? resourceType, AccessControl access) =>
        {
            var subject = ParseSubject(type, id, "$");
            AccessControl.CheckSubjectExists(access.Model, subject);
            var grants = access.Model.GrantsTo(subject).Where(g => resourceType is null || string.Equals(g.Key.Type, resourceType, StringComparison.OrdinalIgnoreCase));
            return Results.Json(new JsonArray([.. grants.Select(g => (JsonNode)GrantView(g.Key, g.Value, null))]), BatonJson.Context.JsonArray);
        }).WithMetadata(selfOrAdmin).WithSummary("The grants to a subject (?resourceType=SECRET_NAME ...)");

        subjects.MapDelete("/", async (string type, string id, string? resourceType, HttpRequest request, AccessControl access, CancellationToken ct) =>
        {
            var subject = ParseSubject(type, id, "$");
            var targetType = resourceType is null ? null : TargetTypes.Normalize(resourceType) ?? throw new AccessRequestException("$.resourceType", $"unknown resource type '{resourceType}'; valid: {string.Join(", ", TargetTypes.All)}");
            await access.RevokeAllAsync(subject, targetType, request.CallerOf(), ct);
            return Results.Json(new JsonObject { ["message"] = "Revoked grants" }, BatonJson.Context.JsonObject);
        }).WithMetadata(AccessRule.Role(Roles.Admin)).WithSummary("Revoke every grant to a subject (?resourceType= narrows it)");
    }

    /// <summary>
    /// Grants or revokes what a grant body names, as the caller: the body checked (every problem with its path), the
    /// target's existence (for a grant), and that the caller may grant it. The API's POST and DELETE
    /// /api/auth/authorization and the console's Access page both call this.
    /// </summary>
    internal static async Task ChangeGrantAsync(HttpRequest request, JsonObject body, bool remove, CancellationToken ct)
    {
        var services = request.HttpContext.RequestServices;
        var access = services.GetRequiredService<AccessControl>();
        var (subject, target, rights) = await ReadGrantAsync(request, body, access, services.GetRequiredService<DefinitionCatalog>(),
            services.GetRequiredService<SecretVault>(), services.GetRequiredService<EnvironmentValues>(), ct, mustExist: !remove);
        await CheckMayGrantAsync(request, access, services.GetRequiredService<ResourceTags>(), subject, target, rights, ct);
        await access.ChangeGrantAsync(subject, target, rights, remove, request.CallerOf(), ct);
    }

    /// <summary>Reads and checks a grant body; every problem comes back at once with its path.</summary>
    private static async Task<(Subject, Target, AccessRight)> ReadGrantAsync(HttpRequest request, JsonObject body, AccessControl access,
        DefinitionCatalog catalog, SecretVault vault, EnvironmentValues environment, CancellationToken ct, bool mustExist = true)
    {
        var problems = new List<ValidationProblem>();
        Subject? subject = null;
        Target? target = null;
        var rights = AccessRight.None;
        if (body["subject"] is not JsonObject s) problems.Add(new("$.subject", "a subject {\"type\":\"USER|GROUP|ROLE\",\"id\"} is required"));
        else if (SubjectTypes.Normalize(Str(s, "type"), Str(s, "id")) is { } parsed) subject = parsed;
        else problems.Add(new("$.subject.type", $"a subject is {{\"type\":\"USER|GROUP|ROLE\",\"id\"}} (got type '{Str(s, "type")}', id '{Str(s, "id")}')"));
        if (body["target"] is not JsonObject t) problems.Add(new("$.target", "a target {\"type\",\"id\"} is required"));
        else if (TargetTypes.Normalize(Str(t, "type")) is not { } type) problems.Add(new("$.target.type", $"unknown target type '{Str(t, "type")}'; valid: {string.Join(", ", TargetTypes.All)}"));
        else if (string.IsNullOrEmpty(Str(t, "id"))) problems.Add(new("$.target.id", "a target needs an id"));
        else if (type == TargetTypes.Tag && !Str(t, "id")!.Contains(':', StringComparison.Ordinal)) problems.Add(new("$.target.id", "a TAG target's id is key:value"));
        else target = new Target(type, Str(t, "id")!);
        if (body["access"] is not JsonArray list || list.Count == 0) problems.Add(new("$.access", $"access is a non-empty array of {AccessRights.ValidNames}"));
        else
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is JsonValue v && v.TryGetValue<string>(out var name) && AccessRights.TryParse(name, out var right)) rights |= right;
                else problems.Add(new($"$.access[{i}]", $"unknown access '{list[i]?.ToJsonString()}'; valid: {AccessRights.ValidNames}"));
            }
        }
        if (problems.Count > 0) throw new AccessRequestException(problems);
        AccessControl.CheckSubjectExists(access.Model, subject!);
        if (mustExist && !await TargetExistsAsync(target!, access, catalog, vault, environment, request.HttpContext.RequestServices.GetRequiredService<Baton.Engine.Scheduling.ScheduleService>(), ct)) throw new AccessNotFoundException($"No {target!.Type} '{target.Id}'");
        return (subject!, target!, rights);
    }

    private static async Task<bool> TargetExistsAsync(Target target, AccessControl access, DefinitionCatalog catalog, SecretVault vault, EnvironmentValues environment,
        Baton.Engine.Scheduling.ScheduleService schedules, CancellationToken ct)
    {
        switch (target.Type)
        {
            case TargetTypes.Tag:
                return true; // a tag grant also covers resources tagged later
            case TargetTypes.Application:
                return access.Model.Applications.ContainsKey(target.Id);
            case TargetTypes.SecretName:
                return await vault.ExistsAsync(target.Id, ct);
            case TargetTypes.EnvVariable:
                return await environment.GetAsync(target.Id, ct) is not null;
            case TargetTypes.TaskDef:
                return catalog.TaskDef(target.Id) is not null;
            case TargetTypes.WorkflowSchedule:
                // A schedule is named on its own, not after its workflow: it was looked up as a definition, so a grant on
                // any schedule not named like a workflow was refused as unknown.
                return (await schedules.ListAsync(null, ct)).Any(s => s.Name == target.Id);
            default:
                return await catalog.WorkflowDefExistsAsync(target.Id, ct);
        }
    }

    /// <summary>ADMIN may grant anything. Others may grant to a user only rights they hold themselves on a target they may UPDATE.</summary>
    private static async Task CheckMayGrantAsync(HttpRequest request, AccessControl access, ResourceTags tags, Subject subject, Target target, AccessRight rights, CancellationToken ct)
    {
        var caller = request.CallerOf();
        if (caller.IsAdmin) return;
        if (subject.Type != SubjectTypes.User) throw new AccessDeniedException($"Forbidden: only an ADMIN may grant to a {subject.Type.ToLowerInvariant()}");
        var held = access.Model.RightsOn(caller, target, await tags.OfAsync(target, ct));
        if (!held.HasFlag(AccessRight.Update) || (held & rights) != rights)
        {
            throw new AccessDeniedException($"Forbidden: needs UPDATE and {string.Join(", ", AccessRights.ToNames(rights))} on {target.Type} '{target.Id}' to grant them");
        }
    }

    /// <summary>
    /// A tag can grant access, so setting or removing one that a grant names needs UPDATE on that tag (ADMIN holds it).
    /// Called after the route's own UPDATE check on the resource.
    /// </summary>
    public static void CheckTagRights(HttpRequest request, AccessControl access, IEnumerable<ResourceTag> tags)
    {
        var caller = request.CallerOf();
        var model = access.Model;
        foreach (var tag in tags)
        {
            var target = new Target(TargetTypes.Tag, tag.TargetId);
            if (model.GrantsOn(target).Count > 0 && (model.RightsOn(caller, target, []) & AccessRight.Update) == 0)
            {
                throw new AccessDeniedException($"Forbidden: tag '{tag.TargetId}' carries grants; changing it needs UPDATE on TAG '{tag.TargetId}'");
            }
        }
    }

    // ---- shapes -------------------------------------------------------------------------------------------------

    private static Target ParseTarget(string? type, string? id, string path) =>
        TargetTypes.Normalize(type) is { } t && !string.IsNullOrEmpty(id)
            ? new Target(t, id)
            : throw new AccessRequestException($"{path}.type", $"a target is a known type ({string.Join(", ", TargetTypes.All)}) and an id (got '{type}', '{id}')");

    private static Subject ParseSubject(string? type, string? id, string path) =>
        SubjectTypes.Normalize(type, id) ?? throw new AccessRequestException($"{path}.type", $"a subject type is USER, GROUP or ROLE (got '{type}')");

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static List<string>? Strings(JsonObject body, string name)
    {
        if (body[name] is null) return null;
        if (body[name] is not JsonArray list) throw new AccessRequestException($"$.{name}", "must be an array of strings");
        var problems = new List<ValidationProblem>();
        var result = new List<string>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonValue v && v.TryGetValue<string>(out var s)) result.Add(s);
            else if (list[i] is JsonObject o && Str(o, "name") is { } n) result.Add(n); // Orkes shows roles as {"name"}
            else problems.Add(new($"$.{name}[{i}]", "must be a string"));
        }
        return problems.Count > 0 ? throw new AccessRequestException(problems) : result;
    }

    private static async Task<List<string>> UserListAsync(HttpRequest request)
    {
        var list = await JsonBody.ReadAsync(request, BatonJson.Context.JsonArray);
        var problems = new List<ValidationProblem>();
        var ids = new List<string>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonValue v && v.TryGetValue<string>(out var s)) ids.Add(s);
            else problems.Add(new($"$[{i}]", "must be a user id (email)"));
        }
        return problems.Count > 0 ? throw new AccessRequestException(problems) : ids;
    }

    private static async Task<List<ResourceTag>> TagListAsync(HttpRequest request)
    {
        var list = await JsonBody.ReadAsync(request, BatonJson.Context.JsonArray);
        var problems = new List<ValidationProblem>();
        var tags = new List<ResourceTag>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && Str(o, "key") is { Length: > 0 } k && Str(o, "value") is { } v) tags.Add(new ResourceTag(k, v));
            else problems.Add(new($"$[{i}]", "a tag is {\"key\",\"value\"} with string values"));
        }
        return problems.Count > 0 ? throw new AccessRequestException(problems) : tags;
    }

    private static Application AppOf(AccessControl access, string id) =>
        access.Model.Applications.GetValueOrDefault(id) ?? throw new AccessNotFoundException($"No application '{id}'");

    private static JsonArray Names(IEnumerable<string> names) => new([.. names.Select(n => (JsonNode)n)]);

    /// <summary>The applications the caller may READ, by name (the API's list and the console's Access page).</summary>
    internal static async Task<List<Application>> ReadableApplicationsAsync(HttpRequest request, AccessControl access, CancellationToken ct)
    {
        var model = access.Model;
        var caller = request.CallerOf();
        var tags = request.HttpContext.RequestServices.GetRequiredService<ResourceTags>();
        var list = new List<Application>();
        foreach (var a in model.Applications.Values.OrderBy(a => a.Name))
        {
            var target = new Target(TargetTypes.Application, a.Id);
            if ((model.RightsOn(caller, target, await tags.OfAsync(target, ct)) & AccessRight.Read) != 0) list.Add(a);
        }
        return list;
    }

    private static IResult Json(UserView view) => Results.Json(view, AccessViewJsonContext.Default.UserView);

    private static IResult Json(IEnumerable<UserView> views) => Results.Json<IReadOnlyList<UserView>>([.. views], AccessViewJsonContext.Default.IReadOnlyListUserView);

    private static IResult Json(GroupView view) => Results.Json(view, AccessViewJsonContext.Default.GroupView);

    private static IResult Json(IEnumerable<GroupView> views) => Results.Json<IReadOnlyList<GroupView>>([.. views], AccessViewJsonContext.Default.IReadOnlyListGroupView);

    private static IResult Json(ApplicationView view) => Results.Json(view, AccessViewJsonContext.Default.ApplicationView);

    private static IResult Json(IEnumerable<ApplicationView> views) => Results.Json<IReadOnlyList<ApplicationView>>([.. views], AccessViewJsonContext.Default.IReadOnlyListApplicationView);

    private static IResult Json(AccessKeyView view) => Results.Json(view, AccessViewJsonContext.Default.AccessKeyView);

    private static IResult Json(IEnumerable<AccessKeyView> views) => Results.Json<IReadOnlyList<AccessKeyView>>([.. views], AccessViewJsonContext.Default.IReadOnlyListAccessKeyView);

    private static JsonObject SubjectView(Subject s) => new() { ["type"] = s.Type, ["id"] = s.Id };

    private static JsonObject GrantView(Target target, AccessRight rights, Subject? subject)
    {
        var view = new JsonObject { ["target"] = new JsonObject { ["type"] = target.Type, ["id"] = target.Id }, ["access"] = Names(AccessRights.ToNames(rights)) };
        if (subject is not null) view["subject"] = SubjectView(subject);
        return view;
    }

}

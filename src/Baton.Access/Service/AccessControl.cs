using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Baton.Access.Model;
using Baton.Access.Store;
using Baton.Core.Validation;
using Baton.Secrets.Audit;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Access.Service;

/// <summary>
/// The access model and every change to it: users, groups, applications and their keys, grants. Changes are
/// validated whole, written in one transaction, audited, and then the in-memory snapshot is swapped, so the next
/// check (an API call, a secret hand-off) sees them. Also the run-time rule for secrets (<see cref="ISecretUsePolicy"/>).
/// </summary>
public sealed partial class AccessControl(
    IAccessStore store,
    IAuditLog audit,
    SecretRedactor redactor,
    IOptions<AccessOptions> options,
    TimeProvider time,
    ILogger<AccessControl> logger) : ISecretUsePolicy, IDisposable
{
    public const string CredentialsFileName = "admin-credentials.json";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PasswordHasher<User> _hasher = new();
    private volatile AccessModel _model = AccessModel.Empty;

    public AccessOptions Options { get; } = options.Value;

    /// <summary>The current snapshot: read it once per check.</summary>
    public AccessModel Model => _model;

    /// <summary>
    /// The model changed through here (a change was stored): other nodes sharing the store reload
    /// (<see cref="ReloadAsync"/>). Says nothing of what changed; handlers must not block.
    /// </summary>
    public event Action? Changed;

    /// <summary>
    /// Loads the model again from the store (another node sharing it changed it) and swaps it in whole, under the
    /// write gate; the use checks' remembered answers belong to the old snapshot and go with it.
    /// </summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _model = new AccessModel(await store.LoadAsync(ct));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads the model; on the first start creates the administrator and writes its credentials file.</summary>
    public async Task InitializeAsync(string dataDir, CancellationToken ct)
    {
        _model = new AccessModel(await store.LoadAsync(ct));
        if (_model.Users.Count > 0) return;

        var password = Options.AdminPassword;
        var generated = string.IsNullOrEmpty(password);
        if (generated) password = RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 24);
        var admin = new User
        {
            Id = Options.AdminEmail,
            Uid = User.NewUid(),
            Name = "Administrator",
            Roles = [Roles.Admin],
            PasswordHash = _hasher.HashPassword(null!, password!),
            CreatedAt = Now(),
            UpdatedAt = Now(),
        };
        if (!await store.CreateFirstUserAsync(admin, ct))
        {
            // Another node sharing the store created the first administrator meanwhile: its credentials are there.
            _model = new AccessModel(await store.LoadAsync(ct));
            return;
        }
        _model = new AccessModel(await store.LoadAsync(ct));
        if (generated)
        {
            var path = Path.Combine(dataDir, CredentialsFileName);
            WriteOwnerOnly(path, JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["email"] = admin.Id,
                ["password"] = password!,
                ["note"] = "The first administrator of this Baton server. Sign in, set a new password (PUT /api/users/{email}), then delete this file.",
            }, AccessJson.Default.DictionaryStringString));
            logger.LogWarning("Created the first administrator {Email}; its credentials are in {Path} (owner-only). Change the password and delete the file", admin.Id, path);
        }
        else
        {
            logger.LogInformation("Created the first administrator {Email} from settings", admin.Id);
        }
        await ChangeAsync(_ => (new AccessChange(), new AuditEvent { Action = "user-create", Outcome = "ok", Detail = $"first administrator {admin.Id}" }), ct);
    }

    // ---- the run-time rule -------------------------------------------------------------------------------------

    private const AccessRight Use = AccessRight.Read | AccessRight.Execute;

    /// <summary>
    /// Why a hand-off may not give a secret, or null. Using is not reading: the run's principal needs READ or EXECUTE;
    /// the value may flow only into a definition whose author may READ the secret, or to which a READ holder bound it
    /// (EXECUTE alone must never let a principal write code that receives the value); and a worker receiving it in a
    /// poll answer needs READ or EXECUTE itself. Rights come directly, through a group, a role, or a tag.
    /// </summary>
    public string? UseRefusal(ResolutionContext context, string secret, IReadOnlyList<SecretTag> tags)
    {
        var memo = Memo();
        var principal = context.Principal;
        var principalRights = RightsOn(memo, principal, secret, tags);
        if ((principalRights & Use) == 0) return $"permission denied: {principal ?? "(no principal)"} may not use secret '{secret}'";
        if (context.Definition is not { } origin) return $"permission denied: secret '{secret}' is used outside any definition";
        var authorRights = origin.Author == principal ? principalRights : RightsOn(memo, origin.Author, secret, tags);
        if ((authorRights & AccessRight.Read) == 0 && origin.IsTaskDefinition)
        {
            return $"permission denied: secret '{secret}' is declared in the runtimeMetadata of task definition '{origin.Name}', last saved by " +
                $"{origin.Author ?? "(unknown)"}, who may not READ it; only a task definition saved by someone who may READ the secret hands it to workers";
        }
        if ((authorRights & AccessRight.Read) == 0 && !Bound(memo, origin, secret))
        {
            return $"permission denied: secret '{secret}' flows only into definitions saved or bound by someone who may READ it; " +
                $"workflow '{origin.Name}' version {origin.Version} was last saved by {origin.Author ?? "(unknown)"}, who may not. " +
                $"Someone who may READ it can bind it to this version (PUT /api/secrets/{secret}/bindings/{origin.Name}/{origin.Version})";
        }
        if (context.Worker is { } worker && (RightsOn(memo, worker, secret, tags) & Use) == 0)
        {
            return $"permission denied: worker {worker} may not use secret '{secret}' (it needs READ or EXECUTE on it)";
        }
        return null;
    }

    /// <summary>Why <paramref name="principal"/> may not write a version of a secret: UPDATE on a taken name, CREATE on a new one.</summary>
    public string? WriteRefusal(string? principal, string secret, bool exists, IReadOnlyList<SecretTag> tags)
    {
        var need = exists ? AccessRight.Update : AccessRight.Create;
        var model = _model;
        var who = model.PrincipalOf(principal);
        if (who is not null && (model.RightsOn(who, SecretTarget(secret), ToResourceTags(tags)) & need) != 0) return null;
        return $"permission denied: {principal ?? "(no principal)"} needs {AccessRights.Name(need)} on SECRET_NAME '{secret}' to write it";
    }

    public Task SecretCreatedAsync(string principal, string secret, CancellationToken ct) =>
        _model.PrincipalOf(principal) is { } creator ? GrantToCreatorAsync(creator, SecretTarget(secret), ct) : Task.CompletedTask;

    public Task SecretPurgedAsync(string secret, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var target = SecretTarget(secret);
            var change = new AccessChange();
            change.DeleteGrants.AddRange(model.GrantsOn(target).Keys.Select(subject => (subject, target)));
            return (change, new AuditEvent { Action = "revoke", Outcome = "ok", Secret = secret, Detail = $"every grant and binding on {target}: the secret was purged" });
        }, ct);

    /// <summary>
    /// Removes every grant on a resource that was deleted (a schedule), so whoever creates one of that name later
    /// shares nothing with those who had rights on the old one.
    /// </summary>
    public Task ResourceDeletedAsync(Target target, Principal actor, CancellationToken ct) =>
        _model.GrantsOn(target).Count == 0 ? Task.CompletedTask : ChangeAsync(model =>
        {
            var change = new AccessChange();
            change.DeleteGrants.AddRange(model.GrantsOn(target).Keys.Select(subject => (subject, target)));
            return (change, Event("revoke", actor, $"every grant on {target}: it was deleted"));
        }, ct);

    // ---- bindings ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// Binds a secret to one definition's exact content (its name, version and fingerprint), or removes the binding:
    /// a run of that content may then use the secret although its author may not READ it. The caller must be able to
    /// READ the secret (the endpoint checks it). A binding is a grant of EXECUTE to the definition, audited.
    /// </summary>
    public Task ChangeBindingAsync(string secret, DefinitionOrigin origin, bool remove, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var subject = new Subject(SubjectTypes.Definition, origin.BindingId);
            var target = SecretTarget(secret);
            var change = new AccessChange();
            if (remove) change.DeleteGrants.Add((subject, target));
            else change.PutGrants.Add(new Grant(subject, target, AccessRight.Execute));
            return (change, new AuditEvent
            {
                Action = remove ? "unbind" : "bind",
                Outcome = "ok",
                Principal = actor.Id,
                Secret = secret,
                Detail = $"workflow '{origin.Name}' version {origin.Version} (content {origin.Fingerprint}, last saved by {origin.Author ?? "(unknown)"})",
            });
        }, ct);

    /// <summary>The definitions a secret is bound to, as binding ids (<c>name@version#fingerprint</c>).</summary>
    public IReadOnlyList<string> BindingsOf(string secret) =>
        [.. _model.GrantsOn(SecretTarget(secret)).Where(g => g.Key.Type == SubjectTypes.Definition && (g.Value & AccessRight.Execute) != 0).Select(g => g.Key.Id).Order(StringComparer.Ordinal)];

    private static Target SecretTarget(string secret) => new(TargetTypes.SecretName, secret);

    private SecretUseMemo Memo()
    {
        var model = _model;
        var memo = _secretUses;
        if (memo.Model != model) _secretUses = memo = new SecretUseMemo(model);
        return memo;
    }

    /// <summary>The rights <paramref name="who"/> holds on a secret, remembered per snapshot and tags list.</summary>
    private static AccessRight RightsOn(SecretUseMemo memo, string? who, string secret, IReadOnlyList<SecretTag> tags)
    {
        if (string.IsNullOrEmpty(who)) return AccessRight.None;
        if (memo.Answers.TryGetValue((who, secret), out var known) && ReferenceEquals(known.Tags, tags)) return known.Rights;
        var rights = memo.Model.PrincipalOf(who) is { } principal
            ? memo.Model.RightsOn(principal, SecretTarget(secret), ToResourceTags(tags))
            : AccessRight.None;
        if (memo.Answers.Count >= SecretUseMemo.MaxAnswers) memo.Answers.Clear();
        memo.Answers[(who, secret)] = (tags, rights);
        return rights;
    }

    private static bool Bound(SecretUseMemo memo, DefinitionOrigin origin, string secret)
    {
        if (memo.Bindings.TryGetValue((origin.BindingId, secret), out var known)) return known;
        var bound = memo.Model.GrantsOn(SecretTarget(secret)).TryGetValue(new Subject(SubjectTypes.Definition, origin.BindingId), out var rights)
            && (rights & AccessRight.Execute) != 0;
        if (memo.Bindings.Count >= SecretUseMemo.MaxAnswers) memo.Bindings.Clear();
        memo.Bindings[(origin.BindingId, secret)] = bound;
        return bound;
    }

    /// <summary>
    /// The answers of the use checks on one snapshot: each principal's rights on each secret, with the tags list they
    /// were worked out for, and which definitions a secret is bound to. Every hand-off asks for every secret, and
    /// working an answer out builds the principal, its subjects and the tag targets. An answer depends only on the
    /// snapshot, which never changes, and on the tags, which the vault replaces by a new list whenever they change:
    /// so it holds while its list is the one asked with, and a changed grant, binding, group, user or application (a
    /// new snapshot) starts a new memo.
    /// </summary>
    private sealed class SecretUseMemo(AccessModel model)
    {
        /// <summary>Principals times secrets in use is small; past this, start again rather than grow.</summary>
        public const int MaxAnswers = 10_000;

        public AccessModel Model { get; } = model;

        public ConcurrentDictionary<(string Who, string Secret), (IReadOnlyList<SecretTag> Tags, AccessRight Rights)> Answers { get; } = new();

        public ConcurrentDictionary<(string BindingId, string Secret), bool> Bindings { get; } = new();
    }

    // A check that read the older snapshot may put back a memo of it; the next check sees the mismatch and starts
    // afresh. An answer is only ever read from the memo of the snapshot the check itself read.
    private volatile SecretUseMemo _secretUses = new(AccessModel.Empty);

    public static IReadOnlyList<ResourceTag> ToResourceTags(IReadOnlyList<SecretTag> tags) =>
        tags.Count == 0 ? [] : [.. tags.Select(t => new ResourceTag(t.Key, t.Value))];

    // ---- users ----------------------------------------------------------------------------------------------------

    /// <summary>Creates or replaces a user (Orkes' <c>PUT /api/users/{id}</c>): name, roles, groups, and a password when given.</summary>
    public Task<User> PutUserAsync(string id, string? name, IReadOnlyList<string>? roles, IReadOnlyList<string>? groups, string? password, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var problems = new List<ValidationProblem>();
            if (!IsEmail(id)) problems.Add(new("$.id", $"a user's id is its email address (got '{id}')"));
            CheckRoles(roles ?? [], Roles.ForUsers, "$.roles", problems);
            foreach (var (group, i) in (groups ?? []).Select((g, i) => (g, i)))
            {
                if (!model.Groups.ContainsKey(group)) problems.Add(new($"$.groups[{i}]", $"no group '{group}'"));
            }
            if (password is not null && password.Length < Options.MinimumPasswordLength)
            {
                problems.Add(new("$.password", $"a password has at least {Options.MinimumPasswordLength} characters (setting Baton:Auth:MinimumPasswordLength)"));
            }
            if (problems.Count > 0) throw new AccessRequestException(problems);
            var existing = model.Users.GetValueOrDefault(id);
            if (existing is not null && existing.Roles.Contains(Roles.Admin) && !(roles ?? existing.Roles).Contains(Roles.Admin) && AdminCount(model) == 1)
            {
                throw new AccessRequestException("$.roles", "this is the last administrator; give another user ADMIN first");
            }

            var user = new User
            {
                Id = existing?.Id ?? id,
                Uid = existing?.Uid ?? User.NewUid(),
                // A new password ends every token issued before it.
                CredentialEpoch = existing is null ? 0 : existing.CredentialEpoch + (password is null ? 0 : 1),
                Name = name is null ? existing?.Name ?? "" : redactor.Redact(name),
                Roles = roles is null ? existing?.Roles ?? [] : [.. roles.Select(r => r.ToUpperInvariant()).Distinct()],
                Groups = groups is null ? existing?.Groups ?? [] : [.. groups.Distinct()],
                PasswordHash = password is null ? existing?.PasswordHash : _hasher.HashPassword(null!, password),
                CreatedAt = existing?.CreatedAt ?? Now(),
                CreatedBy = existing?.CreatedBy ?? actor.Id,
                UpdatedAt = Now(),
            };
            var change = new AccessChange();
            change.UpsertUsers.Add(user);
            return (change, Event(existing is null ? "user-create" : "user-update", actor, $"user {user.Id} roles [{string.Join(", ", user.Roles)}] groups [{string.Join(", ", user.Groups)}]{(password is null ? "" : ", password set")}"), user);
        }, ct);

    public Task DeleteUserAsync(string id, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var user = model.Users.GetValueOrDefault(id) ?? throw new AccessNotFoundException($"No user '{id}'");
            if (user.Roles.Contains(Roles.Admin) && AdminCount(model) == 1) throw new AccessRequestException("$.id", "this is the last administrator; give another user ADMIN first");
            var change = new AccessChange();
            change.DeleteUsers.Add(user.Id);
            DeleteGrantsTo(model, new Subject(SubjectTypes.User, user.Id), change);
            return (change, Event("user-delete", actor, $"user {user.Id}"));
        }, ct);

    private static int AdminCount(AccessModel model) =>
        model.Users.Keys.Count(id => model.PrincipalOf(id)?.IsAdmin == true);

    // ---- groups ---------------------------------------------------------------------------------------------------

    public Task<Group> PutGroupAsync(string id, string? description, IReadOnlyList<string>? roles, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var problems = new List<ValidationProblem>();
            if (!IsName(id)) problems.Add(new("$.id", $"a group id is 1 to 128 letters, digits, '-', '_' or '.' (got '{id}')"));
            CheckRoles(roles ?? [], Roles.ForUsers, "$.roles", problems);
            if (problems.Count > 0) throw new AccessRequestException(problems);
            var existing = model.Groups.GetValueOrDefault(id);
            var group = new Group
            {
                Id = id,
                Description = description is null ? existing?.Description ?? "" : redactor.Redact(description),
                Roles = roles is null ? existing?.Roles ?? [] : [.. roles.Select(r => r.ToUpperInvariant()).Distinct()],
                CreatedAt = existing?.CreatedAt ?? Now(),
                UpdatedAt = Now(),
            };
            var change = new AccessChange();
            change.UpsertGroups.Add(group);
            return (change, Event(existing is null ? "group-create" : "group-update", actor, $"group {id} roles [{string.Join(", ", group.Roles)}]"), group);
        }, ct);

    public Task DeleteGroupAsync(string id, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            if (!model.Groups.ContainsKey(id)) throw new AccessNotFoundException($"No group '{id}'");
            var change = new AccessChange();
            change.DeleteGroups.Add(id);
            DeleteGrantsTo(model, new Subject(SubjectTypes.Group, id), change);
            foreach (var user in model.Users.Values.Where(u => u.Groups.Contains(id)))
            {
                change.UpsertUsers.Add(user with { Groups = [.. user.Groups.Where(g => g != id)], UpdatedAt = Now() });
            }
            return (change, Event("group-delete", actor, $"group {id}"));
        }, ct);

    /// <summary>Adds users to a group, or removes them; all named users must exist, or nothing changes.</summary>
    public Task SetMembershipAsync(string groupId, IReadOnlyList<string> userIds, bool add, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            if (!model.Groups.ContainsKey(groupId)) throw new AccessNotFoundException($"No group '{groupId}'");
            var missing = userIds.Where(u => !model.Users.ContainsKey(u)).ToList();
            if (missing.Count > 0) throw new AccessNotFoundException($"No user '{missing[0]}'");
            var change = new AccessChange();
            foreach (var id in userIds.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var user = model.Users[id];
                var groups = add ? user.Groups.Append(groupId).Distinct().ToList() : [.. user.Groups.Where(g => g != groupId)];
                change.UpsertUsers.Add(user with { Groups = groups, UpdatedAt = Now() });
            }
            return (change, Event(add ? "group-add-users" : "group-remove-users", actor, $"group {groupId}: {string.Join(", ", userIds)}"));
        }, ct);

    // ---- applications and their keys -----------------------------------------------------------------------------

    public Task<Application> CreateApplicationAsync(string? name, Principal actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 256) throw new AccessRequestException("$.name", "an application needs a name of 1 to 256 characters");
        return ChangeAsync(_ =>
        {
            var app = new Application { Id = Guid.NewGuid().ToString(), Name = redactor.Redact(name), CreatedBy = actor.Id, CreatedAt = Now(), UpdatedAt = Now() };
            var change = new AccessChange();
            change.UpsertApplications.Add(app);
            // Whoever made it may manage it.
            change.PutGrants.Add(new Grant(new Subject(SubjectTypes.User, actor.Id), new Target(TargetTypes.Application, app.Id), AccessRight.All));
            return (change, Event("application-create", actor, $"application {app.Id} ({app.Name})"), app);
        }, ct);
    }

    /// <summary>
    /// Changes an application by a function of its current record (which may throw to refuse). Its free text (name,
    /// tags) passes the redactor before it is stored, like every other sink.
    /// </summary>
    public Task<Application> UpdateApplicationAsync(string id, Func<Application, Application> update, string action, string detail, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var app = model.Applications.GetValueOrDefault(id) ?? throw new AccessNotFoundException($"No application '{id}'");
            var next = update(app) with { UpdatedAt = Now() };
            next = next with
            {
                Name = redactor.Redact(next.Name),
                Tags = [.. next.Tags.Select(t => new ResourceTag(redactor.Redact(t.Key), redactor.Redact(t.Value)))],
            };
            var change = new AccessChange();
            change.UpsertApplications.Add(next);
            return (change, Event(action, actor, $"application {id}: {detail}"), next);
        }, ct);

    /// <summary>Adds a role to an application; the admin-only roles need an ADMIN caller.</summary>
    public Task<Application> AddApplicationRoleAsync(string id, string role, Principal actor, CancellationToken ct)
    {
        role = role.ToUpperInvariant();
        var problems = new List<ValidationProblem>();
        CheckRoles([role], Roles.ForApplications, "$.role", problems);
        if (problems.Count > 0) throw new AccessRequestException(problems);
        if (Roles.AdminOnly.Contains(role) && !actor.IsAdmin) throw new AccessDeniedException($"only an ADMIN may give an application the role {role}");
        return UpdateApplicationAsync(id, a => a with { Roles = [.. a.Roles.Append(role).Distinct()] }, "application-role", $"add role {role}", actor, ct);
    }

    public Task<Application> RemoveApplicationRoleAsync(string id, string role, Principal actor, CancellationToken ct)
    {
        role = role.ToUpperInvariant();
        return UpdateApplicationAsync(id, a => a with { Roles = [.. a.Roles.Where(r => r != role)] }, "application-role", $"remove role {role}", actor, ct);
    }

    public Task DeleteApplicationAsync(string id, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            if (!model.Applications.ContainsKey(id)) throw new AccessNotFoundException($"No application '{id}'");
            var change = new AccessChange();
            change.DeleteApplications.Add(id);
            change.DeleteKeys.AddRange(model.Keys.Values.Where(k => k.ApplicationId == id).Select(k => k.Id));
            DeleteGrantsTo(model, new Subject(SubjectTypes.User, Principal.ApplicationPrefix + id), change);
            return (change, Event("application-delete", actor, $"application {id}"));
        }, ct);

    /// <summary>A new access key: the secret is returned this once and kept only as its SHA-256 hash.</summary>
    public Task<(AccessKey Key, string Secret)> CreateAccessKeyAsync(string applicationId, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            if (!model.Applications.ContainsKey(applicationId)) throw new AccessNotFoundException($"No application '{applicationId}'");
            var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
            var key = new AccessKey
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
                ApplicationId = applicationId,
                SecretHash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)),
                CreatedAt = Now(),
            };
            var change = new AccessChange();
            change.UpsertKeys.Add(key);
            return (change, Event("access-key-create", actor, $"application {applicationId} key {key.Id}"), (key, secret));
        }, ct);

    /// <summary>Pauses an active key or reactivates a paused one (Orkes' toggle); a paused key's tokens stop at once.</summary>
    public Task<AccessKey> ToggleAccessKeyAsync(string applicationId, string keyId, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            var key = KeyOf(model, applicationId, keyId);
            var next = key with { Active = !key.Active };
            var change = new AccessChange();
            change.UpsertKeys.Add(next);
            return (change, Event("access-key-status", actor, $"application {applicationId} key {keyId} {(next.Active ? "ACTIVE" : "INACTIVE")}"), next);
        }, ct);

    public Task DeleteAccessKeyAsync(string applicationId, string keyId, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            KeyOf(model, applicationId, keyId);
            var change = new AccessChange();
            change.DeleteKeys.Add(keyId);
            return (change, Event("access-key-delete", actor, $"application {applicationId} key {keyId}"));
        }, ct);

    private static AccessKey KeyOf(AccessModel model, string applicationId, string keyId)
    {
        if (!model.Applications.ContainsKey(applicationId)) throw new AccessNotFoundException($"No application '{applicationId}'");
        return model.Keys.GetValueOrDefault(keyId) is { } key && key.ApplicationId == applicationId
            ? key
            : throw new AccessNotFoundException($"No access key '{keyId}' on application '{applicationId}'");
    }

    // ---- grants ---------------------------------------------------------------------------------------------------

    /// <summary>Adds (or with <paramref name="remove"/> takes away) rights of a subject on a target. The subject must exist.</summary>
    public Task ChangeGrantAsync(Subject subject, Target target, AccessRight rights, bool remove, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            CheckSubjectExists(model, subject);
            var current = model.GrantsTo(subject).GetValueOrDefault(target);
            var next = remove ? current & ~rights : current | rights;
            var change = new AccessChange();
            if (next == AccessRight.None) change.DeleteGrants.Add((subject, target));
            else change.PutGrants.Add(new Grant(subject, target, next));
            return (change, Event(remove ? "revoke" : "grant", actor, $"{subject} {string.Join(",", AccessRights.ToNames(rights))} on {target}"));
        }, ct);

    /// <summary>Removes every grant to a subject, or only those on one target type.</summary>
    public Task RevokeAllAsync(Subject subject, string? targetType, Principal actor, CancellationToken ct) =>
        ChangeAsync(model =>
        {
            CheckSubjectExists(model, subject);
            var change = new AccessChange();
            DeleteGrantsTo(model, subject, change, targetType);
            return (change, Event("revoke", actor, $"every grant to {subject}{(targetType is null ? "" : " on " + targetType)}"));
        }, ct);

    /// <summary>Whoever creates a resource gets every right on it (Orkes does the same), unless it held them already.</summary>
    public async Task GrantToCreatorAsync(Principal creator, Target target, CancellationToken ct)
    {
        if (creator.IsAdmin) return; // holds every right through the role
        var subject = new Subject(SubjectTypes.User, creator.Id);
        if (_model.GrantsTo(subject).GetValueOrDefault(target) == AccessRight.All) return;
        await ChangeGrantAsync(subject, target, AccessRight.All, remove: false, creator, ct);
    }

    /// <summary>Adds the removal of every grant to <paramref name="subject"/> (only on <paramref name="targetType"/> when given).</summary>
    private static void DeleteGrantsTo(AccessModel model, Subject subject, AccessChange change, string? targetType = null) =>
        change.DeleteGrants.AddRange(model.GrantsTo(subject).Keys.Where(t => targetType is null || t.Type == targetType).Select(t => (subject, t)));

    public static void CheckSubjectExists(AccessModel model, Subject subject)
    {
        var exists = subject.Type switch
        {
            SubjectTypes.User => model.PrincipalOf(subject.Id) is not null,
            SubjectTypes.Group => model.Groups.ContainsKey(subject.Id),
            SubjectTypes.Role => Roles.IsKnown(subject.Id),
            _ => false,
        };
        if (!exists) throw new AccessNotFoundException($"No {subject.Type.ToLowerInvariant()} '{subject.Id}'");
    }

    // ---- plumbing -------------------------------------------------------------------------------------------------

    /// <summary>
    /// One change to the model, under the write gate: <paramref name="build"/> reads the current snapshot, validates
    /// (throwing refuses, and nothing is written) and answers the change, its audit event and a result. The change is
    /// stored in one transaction, then the new snapshot is swapped in, then the event is audited.
    /// </summary>
    private async Task<T> ChangeAsync<T>(Func<AccessModel, (AccessChange Change, AuditEvent Event, T Result)> build, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var (change, auditEvent, result) = build(_model);
            if (!change.IsEmpty)
            {
                var next = _model.With(change);
                await store.SaveAsync(change, ct);
                _model = next;
                RaiseChanged();
            }
            await audit.AppendAsync(auditEvent with { Time = Now(), Detail = auditEvent.Detail is null ? null : redactor.Redact(auditEvent.Detail) }, ct);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ChangeAsync(Func<AccessModel, (AccessChange Change, AuditEvent Event)> build, CancellationToken ct) =>
        await ChangeAsync(model =>
        {
            var (change, auditEvent) = build(model);
            return (change, auditEvent, true);
        }, ct);

    private void RaiseChanged()
    {
        try
        {
            Changed?.Invoke();
        }
        catch (Exception e)
        {
            LogChangedHandlerFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of the access model's Changed event failed")]
    private static partial void LogChangedHandlerFailed(ILogger logger, Exception exception);

    /// <summary>An audit event of the access model (its detail passes the redactor like every other).</summary>
    public Task AuditAsync(string action, string outcome, string? principal, string detail, CancellationToken ct) =>
        audit.AppendAsync(new AuditEvent { Time = Now(), Action = action, Outcome = outcome, Principal = principal, Detail = redactor.Redact(detail) }, ct);

    private static AuditEvent Event(string action, Principal actor, string detail) =>
        new() { Action = action, Outcome = "ok", Principal = actor.Id, Detail = detail };

    private static void CheckRoles(IReadOnlyList<string> roles, IReadOnlyList<string> allowed, string path, List<ValidationProblem> problems)
    {
        for (var i = 0; i < roles.Count; i++)
        {
            if (!allowed.Contains(roles[i].ToUpperInvariant()))
            {
                problems.Add(new($"{path}[{i}]", $"unknown role '{roles[i]}'; valid here: {string.Join(", ", allowed)}"));
            }
        }
    }

    internal static bool IsEmail(string id) =>
        id.Length is > 2 and <= 256 && id.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < id.Length - 1 && !id.Any(char.IsWhiteSpace) && !id.Contains('/', StringComparison.Ordinal);

    private static bool IsName(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static void WriteOwnerOnly(string path, string text)
    {
        File.Delete(path); // a file left from an earlier install keeps its mode; start afresh
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    public void Dispose() => _gate.Dispose();
}

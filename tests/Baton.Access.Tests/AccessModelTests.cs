using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Access.Store;

namespace Baton.Access.Tests;

/// <summary>
/// The access model's rules on their own: roles, group inheritance, direct and tag grants, applications, and that a
/// change builds a new snapshot without touching the old one. The end-to-end suite checks the same rules through the
/// API; these pin down each rule where a failure names it.
/// </summary>
public sealed class AccessModelTests
{
    private static readonly Target Billing = new(TargetTypes.WorkflowDef, "billing");
    private static readonly Target ApiToken = new(TargetTypes.SecretName, "api-token");
    private static readonly ResourceTag TeamPayments = new("team", "payments");

    private static AccessModel Model(params Grant[] grants) => new(new AccessData(
        [
            new User { Id = "ana@example.com", Name = "Ana", Roles = [Roles.User], Groups = ["payments"] },
            new User { Id = "bo@example.com", Name = "Bo", Roles = [Roles.User] },
            new User { Id = "root@example.com", Name = "Root", Roles = [Roles.Admin] },
        ],
        [new Group { Id = "payments", Roles = [Roles.WorkflowManager] }],
        [new Application { Id = "worker-1", Name = "worker", Roles = [Roles.Worker] }],
        [new AccessKey { Id = "k1", ApplicationId = "worker-1", SecretHash = new byte[32] }],
        grants));

    private static Principal Of(AccessModel model, string id) =>
        model.PrincipalOf(id) ?? throw new InvalidOperationException($"{id} is not in the model");

    [Fact]
    public void A_user_inherits_the_roles_and_grants_of_its_groups()
    {
        var model = Model(new Grant(new Subject(SubjectTypes.Group, "payments"), ApiToken, AccessRight.Execute));
        var ana = Of(model, "ana@example.com");

        Assert.Equal([Roles.User, Roles.WorkflowManager], ana.Roles);
        Assert.Equal(["payments"], ana.Groups);
        // WORKFLOW_MANAGER (from the group) reads and runs every workflow definition.
        Assert.Equal(AccessRight.Read | AccessRight.Execute | AccessRight.Create, model.RightsOn(ana, Billing, []));
        // The group's grant on the secret reaches its member, and only it (USER itself may only create secrets).
        Assert.Equal(AccessRight.Create | AccessRight.Execute, model.RightsOn(ana, ApiToken, []));
        Assert.Equal(AccessRight.Create, model.RightsOn(Of(model, "bo@example.com"), ApiToken, []));
    }

    [Fact]
    public void Deny_by_default_USER_may_only_create()
    {
        var model = Model();
        var bo = Of(model, "bo@example.com");

        Assert.Equal(AccessRight.Create, model.RightsOn(bo, Billing, []));
        Assert.Equal(AccessRight.Create, model.RightsOn(bo, ApiToken, []));
        Assert.Equal(AccessRight.None, model.RightsOn(bo, new Target(TargetTypes.Application, "worker-1"), []));
        Assert.False(model.MayOnSome(bo, TargetTypes.SecretName, AccessRight.Execute));
    }

    [Fact]
    public void A_tag_grant_covers_a_resource_only_while_it_carries_the_tag()
    {
        var model = Model(new Grant(new Subject(SubjectTypes.User, "bo@example.com"), new Target(TargetTypes.Tag, TeamPayments.TargetId), AccessRight.Execute));
        var bo = Of(model, "bo@example.com");

        Assert.Equal(AccessRight.Execute, model.GrantedOn(bo, ApiToken, [new ResourceTag("env", "prod"), TeamPayments]));
        Assert.Equal(AccessRight.None, model.GrantedOn(bo, ApiToken, [new ResourceTag("env", "prod")]));
        Assert.Equal(AccessRight.None, model.GrantedOn(bo, ApiToken, [new ResourceTag("team", "payment")]));
        // A tag grant could cover some secret, so the coarse gate of list routes lets Bo through.
        Assert.True(model.MayOnSome(bo, TargetTypes.SecretName, AccessRight.Execute));
        Assert.False(model.MayOnSome(bo, TargetTypes.SecretName, AccessRight.Delete));
    }

    [Fact]
    public void Grants_to_a_role_reach_everyone_who_holds_it()
    {
        var model = Model(new Grant(new Subject(SubjectTypes.Role, Roles.WorkflowManager), ApiToken, AccessRight.Read));

        Assert.Equal(AccessRight.Read, model.GrantedOn(Of(model, "ana@example.com"), ApiToken, []));
        Assert.Equal(AccessRight.None, model.GrantedOn(Of(model, "bo@example.com"), ApiToken, []));
    }

    [Fact]
    public void An_application_is_a_principal_by_its_prefixed_id_with_its_own_roles()
    {
        var model = Model(new Grant(new Subject(SubjectTypes.User, "app:worker-1"), new Target(TargetTypes.TaskDef, "charge"), AccessRight.Execute));
        var app = Of(model, "app:worker-1");

        Assert.True(app.IsApplication);
        Assert.Equal([Roles.Worker], app.Roles);
        Assert.Equal(AccessRight.Execute, model.RightsOn(app, new Target(TargetTypes.TaskDef, "charge"), []));
        Assert.Equal(AccessRight.None, model.RightsOn(app, new Target(TargetTypes.TaskDef, "refund"), []));
        // Without the prefix the id is a user's, and there is no such user.
        Assert.Null(model.PrincipalOf("worker-1"));
        Assert.Null(model.PrincipalOf("app:unknown"));
        Assert.Null(model.PrincipalOf(null));
    }

    [Fact]
    public void Emails_are_case_insensitive_as_principal_ids()
    {
        var model = Model();

        Assert.Equal("bo@example.com", Of(model, "BO@Example.com").Id);
    }

    [Fact]
    public void A_change_builds_a_new_snapshot_and_leaves_the_old_one_as_it_was()
    {
        var bo = new Subject(SubjectTypes.User, "bo@example.com");
        var before = Model(new Grant(bo, ApiToken, AccessRight.Execute));
        var change = new AccessChange();
        change.DeleteGrants.Add((bo, ApiToken));
        change.PutGrants.Add(new Grant(bo, Billing, AccessRight.Read));
        change.DeleteUsers.Add("ana@example.com");

        var after = before.With(change);

        Assert.Equal(AccessRight.Execute, before.GrantedOn(Of(before, "bo@example.com"), ApiToken, []));
        Assert.NotNull(before.PrincipalOf("ana@example.com"));
        Assert.Equal(AccessRight.None, after.GrantedOn(Of(after, "bo@example.com"), ApiToken, []));
        Assert.Equal(AccessRight.Read | AccessRight.Create, after.RightsOn(Of(after, "bo@example.com"), Billing, []));
        Assert.Null(after.PrincipalOf("ana@example.com"));
        Assert.Equal(AccessRight.Read, Assert.Single(after.GrantsOn(Billing)).Value);
        Assert.Empty(after.GrantsOn(ApiToken));
    }

    [Fact]
    public void Putting_a_grant_again_replaces_its_rights_and_a_grant_of_nothing_is_not_kept()
    {
        var bo = new Subject(SubjectTypes.User, "bo@example.com");
        var model = Model(new Grant(bo, ApiToken, AccessRight.Read | AccessRight.Execute));
        var change = new AccessChange();
        change.PutGrants.Add(new Grant(bo, ApiToken, AccessRight.Execute));
        change.PutGrants.Add(new Grant(bo, Billing, AccessRight.None));

        var after = model.With(change);

        Assert.Equal(AccessRight.Execute, after.GrantsTo(bo)[ApiToken]);
        Assert.False(after.GrantsTo(bo).ContainsKey(Billing));
    }

    [Fact]
    public void A_group_that_no_longer_exists_gives_nothing()
    {
        var model = Model(new Grant(new Subject(SubjectTypes.Group, "payments"), ApiToken, AccessRight.Execute));
        var change = new AccessChange();
        change.DeleteGroups.Add("payments");

        var ana = Of(model.With(change), "ana@example.com");

        Assert.Equal([Roles.User], ana.Roles);
        Assert.Empty(ana.Groups);
    }
}

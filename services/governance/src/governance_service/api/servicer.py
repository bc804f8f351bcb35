"""GovernanceService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.governance.v1 import masking_pb2 as mpb
from governance_service.api import classification_mappers as cm
from governance_service.api import mappers as m
from governance_service.api import masking_mappers as mm
from governance_service.api import ownership_mappers as om
from governance_service.api import policy_mappers as pm
from governance_service.application.audit import AuditTrail
from governance_service.application.classification import ClassificationUseCases
from governance_service.application.identity import IdentityUseCases
from governance_service.application.masking_rules import MaskingRuleUseCases
from governance_service.application.ownership import OwnershipUseCases
from governance_service.application.policies import PolicyUseCases
from governance_service.db.repository import AuditFilter

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class GovernanceServicer(governance_pb2_grpc.GovernanceServiceServicer):
    def __init__(
        self,
        identity: IdentityUseCases,
        audit: AuditTrail,
        classification: ClassificationUseCases,
        ownership: OwnershipUseCases,
        policies: PolicyUseCases,
        masking: MaskingRuleUseCases,
    ) -> None:
        self.identity, self.audit, self.classes = identity, audit, classification
        self.owners, self.policies, self.masking = ownership, policies, masking

    async def Login(self, request: pb.LoginRequest, context: Ctx) -> pb.Tokens:
        return m.tokens(await self.identity.login(request.username, request.password))

    async def Refresh(self, request: pb.RefreshRequest, context: Ctx) -> pb.Tokens:
        return m.tokens(await self.identity.refresh(request.refresh_token))

    async def Authenticate(self, request: pb.AuthenticateRequest, context: Ctx) -> pb.Principal:
        return m.principal(await self.identity.authenticate(request.token))

    async def CreateUser(self, request: pb.CreateUserRequest, context: Ctx) -> pb.User:
        row = await self.identity.create_user(
            request.username, request.password, request.role, request.display_name
        )
        return m.user(row)

    async def ListUsers(self, request: pb.ListUsersRequest, context: Ctx) -> pb.ListUsersResponse:
        rows, cursor = await self.identity.page_users(request.page.limit, request.page.cursor)
        return pb.ListUsersResponse(items=[m.user(r) for r in rows], page=_page(cursor))

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Ctx) -> pb.User:
        row = await self.identity.update_user(
            request.username,
            list(request.fields),
            role=request.role,
            disabled=request.disabled,
            password=request.password,
            display_name=request.display_name,
        )
        return m.user(row)

    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Ctx) -> pb.CreatedApiKey:
        row, secret = await self.identity.create_api_key(
            request.username, request.name, request.expires_in_days
        )
        return pb.CreatedApiKey(key=m.api_key(row), secret=secret)

    async def ListApiKeys(
        self, request: pb.ListApiKeysRequest, context: Ctx
    ) -> pb.ListApiKeysResponse:
        rows, cursor = await self.identity.page_api_keys(
            request.username, request.page.limit, request.page.cursor
        )
        return pb.ListApiKeysResponse(items=[m.api_key(r) for r in rows], page=_page(cursor))

    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Ctx) -> pb.ApiKey:
        return m.api_key(await self.identity.revoke_api_key(request.id, request.username))

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: Ctx
    ) -> pb.ListAuditEventsResponse:
        where = AuditFilter(
            entity_type=request.entity_type,
            entity=request.entity,
            user=request.user,
            action=request.action,
            since=m.to_datetime(request.since, request.HasField("since")),
            until=m.to_datetime(request.until, request.HasField("until")),
        )
        rows, cursor = await self.audit.page(where, request.page.limit, request.page.cursor)
        return pb.ListAuditEventsResponse(
            items=[m.audit_event(r) for r in rows], page=_page(cursor)
        )

    # ------------------------------------------------------------ classification
    async def SetClassification(
        self, request: pb.SetClassificationRequest, context: Ctx
    ) -> pb.Classification:
        row = await self.classes.set(
            request.object, request.column, request.level, list(request.compliance)
        )
        return cm.classification(row)

    async def GetClassification(
        self, request: pb.GetClassificationRequest, context: Ctx
    ) -> pb.ObjectClassification:
        return cm.object_view(await self.classes.get(request.object))

    async def ListClassifications(
        self, request: pb.ListClassificationsRequest, context: Ctx
    ) -> pb.ListClassificationsResponse:
        rows, cursor = await self.classes.page(
            request.level, request.source_name, request.page.limit, request.page.cursor
        )
        return pb.ListClassificationsResponse(
            items=[cm.classification(r) for r in rows], page=_page(cursor)
        )

    async def CreateClassificationRule(
        self, request: pb.CreateClassificationRuleRequest, context: Ctx
    ) -> pb.ClassificationRule:
        return cm.rule(await self.classes.create_rule(cm.rule_spec(request.rule)))

    async def ListClassificationRules(
        self, request: pb.ListClassificationRulesRequest, context: Ctx
    ) -> pb.ListClassificationRulesResponse:
        rows = await self.classes.list_rules()
        return pb.ListClassificationRulesResponse(items=[cm.rule(r) for r in rows])

    async def UpdateClassificationRule(
        self, request: pb.UpdateClassificationRuleRequest, context: Ctx
    ) -> pb.ClassificationRule:
        row = await self.classes.update_rule(
            request.id, list(request.fields), cm.rule_spec(request.rule)
        )
        return cm.rule(row)

    async def DeleteClassificationRule(
        self, request: pb.DeleteClassificationRuleRequest, context: Ctx
    ) -> pb.DeleteClassificationRuleResponse:
        await self.classes.delete_rule(request.id)
        return pb.DeleteClassificationRuleResponse()

    async def ImportClassificationRules(
        self, request: pb.ImportClassificationRulesRequest, context: Ctx
    ) -> pb.ListClassificationRulesResponse:
        rows = await self.classes.import_yaml(request.yaml)
        return pb.ListClassificationRulesResponse(items=[cm.rule(r) for r in rows])

    async def ApplyClassificationRules(
        self, request: pb.ApplyClassificationRulesRequest, context: Ctx
    ) -> pb.ApplyResult:
        return cm.apply_result(await self.classes.apply(request.source_name))

    # ------------------------------------------------------------ ownership
    async def AssignOwner(self, request: pb.AssignOwnerRequest, context: Ctx) -> pb.Ownership:
        return om.ownership(await self.owners.assign(request.object, request.user, request.role))

    async def RemoveOwner(
        self, request: pb.RemoveOwnerRequest, context: Ctx
    ) -> pb.RemoveOwnerResponse:
        removed = await self.owners.remove(request.object, request.user, request.role)
        return pb.RemoveOwnerResponse(removed=removed)

    async def ListOwners(self, request: pb.ListOwnersRequest, context: Ctx) -> pb.ObjectOwners:
        return om.object_owners(await self.owners.owners(request.object))

    async def ListOwnedObjects(
        self, request: pb.ListOwnedObjectsRequest, context: Ctx
    ) -> pb.ListOwnedObjectsResponse:
        rows, cursor = await self.owners.owned_by(
            request.user, request.role, request.page.limit, request.page.cursor
        )
        return pb.ListOwnedObjectsResponse(
            items=[om.ownership(r) for r in rows], page=_page(cursor)
        )

    async def GetObjectRights(
        self, request: pb.GetObjectRightsRequest, context: Ctx
    ) -> pb.ObjectRights:
        return om.rights(await self.owners.rights(request.username, request.object))

    # ------------------------------------------------------------ domains
    async def CreateDomain(self, request: pb.CreateDomainRequest, context: Ctx) -> pb.Domain:
        view = await self.owners.create_domain(request.name, request.description, request.parent)
        return om.domain(view)

    async def ListDomains(
        self, request: pb.ListDomainsRequest, context: Ctx
    ) -> pb.ListDomainsResponse:
        return pb.ListDomainsResponse(
            items=[om.domain(v) for v in await self.owners.list_domains()]
        )

    async def GetDomain(self, request: pb.GetDomainRequest, context: Ctx) -> pb.Domain:
        return om.domain(await self.owners.get_domain(request.domain))

    async def UpdateDomain(self, request: pb.UpdateDomainRequest, context: Ctx) -> pb.Domain:
        view = await self.owners.update_domain(
            request.domain,
            list(request.fields),
            request.name,
            request.description,
            request.parent,
        )
        return om.domain(view)

    async def DeleteDomain(
        self, request: pb.DeleteDomainRequest, context: Ctx
    ) -> pb.DeleteDomainResponse:
        await self.owners.delete_domain(request.domain)
        return pb.DeleteDomainResponse()

    async def AssignDomain(self, request: pb.AssignDomainRequest, context: Ctx) -> pb.DomainObject:
        row, name = await self.owners.assign_domain(request.object, request.domain)
        return om.domain_object(row, name)

    async def ListDomainObjects(
        self, request: pb.ListDomainObjectsRequest, context: Ctx
    ) -> pb.ListDomainObjectsResponse:
        name, rows, cursor = await self.owners.domain_objects(
            request.domain, request.page.limit, request.page.cursor
        )
        return pb.ListDomainObjectsResponse(
            items=[om.domain_object(r, name) for r in rows], page=_page(cursor)
        )

    # ------------------------------------------------------------ data policies
    async def CreatePolicy(self, request: pb.CreatePolicyRequest, context: Ctx) -> pb.Policy:
        row = await self.policies.create(request.object, request.column, pm.spec_from(request.spec))
        return pm.policy(row)

    async def GetPolicy(self, request: pb.GetPolicyRequest, context: Ctx) -> pb.Policy:
        return pm.policy(await self.policies.get(request.id))

    async def ListPolicies(
        self, request: pb.ListPoliciesRequest, context: Ctx
    ) -> pb.ListPoliciesResponse:
        rows, cursor = await self.policies.page(
            request.object, request.overdue_only, request.page.limit, request.page.cursor
        )
        return pb.ListPoliciesResponse(items=[pm.policy(r) for r in rows], page=_page(cursor))

    async def UpdatePolicy(self, request: pb.UpdatePolicyRequest, context: Ctx) -> pb.Policy:
        row = await self.policies.update(
            request.id, list(request.fields), pm.spec_from(request.spec)
        )
        return pm.policy(row)

    async def DeletePolicy(
        self, request: pb.DeletePolicyRequest, context: Ctx
    ) -> pb.DeletePolicyResponse:
        await self.policies.delete(request.id)
        return pb.DeletePolicyResponse()

    # ------------------------------------------------------------ masking rules
    async def CreateMaskingRule(
        self, request: mpb.CreateMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        row = await self.masking.create(request.object, request.column, mm.spec_from(request))
        return mm.rule(row)

    async def ListMaskingRules(
        self, request: mpb.ListMaskingRulesRequest, context: Ctx
    ) -> mpb.ListMaskingRulesResponse:
        rows = await self.masking.rules(request.object, request.column)
        return mpb.ListMaskingRulesResponse(items=[mm.rule(r) for r in rows])

    async def GetMaskingRule(
        self, request: mpb.GetMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        return mm.rule(await self.masking.get(request.id))

    async def UpdateMaskingRule(
        self, request: mpb.UpdateMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        return mm.rule(await self.masking.update(request.id, mm.changes_from(request)))

    async def DeleteMaskingRule(
        self, request: mpb.DeleteMaskingRuleRequest, context: Ctx
    ) -> mpb.DeleteMaskingRuleResponse:
        await self.masking.delete(request.id)
        return mpb.DeleteMaskingRuleResponse()

    async def PreviewMaskingSql(
        self, request: mpb.PreviewMaskingSqlRequest, context: Ctx
    ) -> mpb.MaskingSqlPreview:
        return mm.preview(*await self.masking.preview_sql(request.object, request.dialect))

    async def MaskValues(
        self, request: mpb.MaskValuesRequest, context: Ctx
    ) -> mpb.MaskValuesResponse:
        columns, names = await self.masking.mask_values(
            request.object, request.role, mm.columns_from(request)
        )
        return mm.masked(columns, names)

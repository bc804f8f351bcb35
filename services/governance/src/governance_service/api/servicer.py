"""GovernanceService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.governance.v1 import masking_pb2 as mpb
from dckit.protoconv import mask_paths, ref_text
from dckit.summary import gather_parts
from governance_service.api import audit_mappers as am
from governance_service.api import classification_mappers as cm
from governance_service.api import identity_mappers as im
from governance_service.api import masking_mappers as mm
from governance_service.api import ownership_mappers as om
from governance_service.api import policies_mappers as pm
from governance_service.application.audit import AuditTrail
from governance_service.application.classification import ClassificationUseCases
from governance_service.application.identity import IdentityUseCases
from governance_service.application.masking import MaskingUseCases
from governance_service.application.ownership import OwnershipUseCases
from governance_service.application.policies import PolicyUseCases
from governance_service.domain.classification_rules import RULE_FIELDS
from governance_service.domain.identity import USER_FIELDS
from governance_service.domain.masking_rules import FIELDS as MASKING_RULE_FIELDS
from governance_service.domain.ownership import DOMAIN_FIELDS
from governance_service.domain.policies import FIELDS as POLICY_FIELDS

Ctx: TypeAlias = grpc.aio.ServicerContext

SUMMARY_POLICIES = 500  # policies in a capsule summary, unless asked


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
        masking: MaskingUseCases,
    ) -> None:
        self.identity, self.audit, self.classes = identity, audit, classification
        self.owners, self.policies, self.masking = ownership, policies, masking

    # ------------------------------------------------------------ identity
    async def Login(self, request: pb.LoginRequest, context: Ctx) -> pb.Tokens:
        tokens = await self.identity.login(username=request.username, password=request.password)
        return im.tokens(tokens)

    async def Refresh(self, request: pb.RefreshRequest, context: Ctx) -> pb.Tokens:
        return im.tokens(await self.identity.refresh(request.refresh_token))

    async def Authenticate(self, request: pb.AuthenticateRequest, context: Ctx) -> pb.Principal:
        return im.principal(await self.identity.authenticate(request.token))

    async def CreateUser(self, request: pb.CreateUserRequest, context: Ctx) -> pb.User:
        user = await self.identity.create_user(
            username=request.username,
            password=request.password,
            role=request.role,
            display_name=request.display_name,
        )
        return im.user(user)

    async def ListUsers(self, request: pb.ListUsersRequest, context: Ctx) -> pb.ListUsersResponse:
        users, cursor = await self.identity.page_users(request.page.limit, request.page.cursor)
        return pb.ListUsersResponse(items=[im.user(u) for u in users], page=_page(cursor))

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Ctx) -> pb.User:
        user = await self.identity.update_user(
            username=request.username,
            fields=mask_paths(request.update_mask, USER_FIELDS),
            role=request.role,
            disabled=request.disabled,
            password=request.password,
            display_name=request.display_name,
        )
        return im.user(user)

    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Ctx) -> pb.CreatedApiKey:
        key, secret = await self.identity.create_api_key(
            username=request.username, name=request.name, expires_in_days=request.expires_in_days
        )
        return pb.CreatedApiKey(key=im.api_key(key), secret=secret)

    async def ListApiKeys(
        self, request: pb.ListApiKeysRequest, context: Ctx
    ) -> pb.ListApiKeysResponse:
        keys, cursor = await self.identity.page_api_keys(
            username=request.username, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListApiKeysResponse(items=[im.api_key(k) for k in keys], page=_page(cursor))

    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Ctx) -> pb.ApiKey:
        key = await self.identity.revoke_api_key(request.id, owner=request.username)
        return im.api_key(key)

    # ------------------------------------------------------------ audit trail
    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: Ctx
    ) -> pb.ListAuditEventsResponse:
        entries, cursor = await self.audit.page(
            am.audit_filter(request), request.page.limit, request.page.cursor
        )
        return pb.ListAuditEventsResponse(
            items=[am.audit_event(e) for e in entries], page=_page(cursor)
        )

    # ------------------------------------------------------------ classification
    async def SetClassification(
        self, request: pb.SetClassificationRequest, context: Ctx
    ) -> pb.Classification:
        set_ = await self.classes.set(
            ref=ref_text(request.ref),
            column=request.column,
            level=request.level,
            compliance=list(request.compliance),
        )
        return cm.classification(set_)

    async def GetClassification(
        self, request: pb.GetClassificationRequest, context: Ctx
    ) -> pb.ObjectClassification:
        return cm.object_view(await self.classes.get(ref_text(request.ref)))

    async def ListClassifications(
        self, request: pb.ListClassificationsRequest, context: Ctx
    ) -> pb.ListClassificationsResponse:
        found, cursor = await self.classes.page(
            level=request.level,
            source_name=request.source_name,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListClassificationsResponse(
            items=[cm.classification(c) for c in found], page=_page(cursor)
        )

    async def CreateClassificationRule(
        self, request: pb.CreateClassificationRuleRequest, context: Ctx
    ) -> pb.ClassificationRule:
        return cm.rule(await self.classes.create_rule(cm.rule_spec(request.rule)))

    async def ListClassificationRules(
        self, request: pb.ListClassificationRulesRequest, context: Ctx
    ) -> pb.ListClassificationRulesResponse:
        rules = await self.classes.list_rules()
        return pb.ListClassificationRulesResponse(items=[cm.rule(r) for r in rules])

    async def UpdateClassificationRule(
        self, request: pb.UpdateClassificationRuleRequest, context: Ctx
    ) -> pb.ClassificationRule:
        rule = await self.classes.update_rule(
            request.id,
            mask_paths(request.update_mask, RULE_FIELDS),
            cm.rule_spec(request.rule),
        )
        return cm.rule(rule)

    async def DeleteClassificationRule(
        self, request: pb.DeleteClassificationRuleRequest, context: Ctx
    ) -> pb.DeleteClassificationRuleResponse:
        await self.classes.delete_rule(request.id)
        return pb.DeleteClassificationRuleResponse()

    async def ImportClassificationRules(
        self, request: pb.ImportClassificationRulesRequest, context: Ctx
    ) -> pb.ListClassificationRulesResponse:
        rules = await self.classes.import_yaml(request.yaml)
        return pb.ListClassificationRulesResponse(items=[cm.rule(r) for r in rules])

    async def ApplyClassificationRules(
        self, request: pb.ApplyClassificationRulesRequest, context: Ctx
    ) -> pb.ApplyResult:
        return cm.apply_result(await self.classes.apply(request.source_name))

    # ------------------------------------------------------------ ownership
    async def AssignOwner(self, request: pb.AssignOwnerRequest, context: Ctx) -> pb.Ownership:
        assigned = await self.owners.assign(
            ref=ref_text(request.ref), user=request.user, role=request.role
        )
        return om.ownership(assigned)

    async def RemoveOwner(
        self, request: pb.RemoveOwnerRequest, context: Ctx
    ) -> pb.RemoveOwnerResponse:
        removed = await self.owners.remove(
            ref=ref_text(request.ref), user=request.user, role=request.role
        )
        return pb.RemoveOwnerResponse(removed=removed)

    async def ListOwners(self, request: pb.ListOwnersRequest, context: Ctx) -> pb.ObjectOwners:
        return om.object_owners(await self.owners.owners(ref_text(request.ref)))

    async def GetCapsulePolicy(
        self, request: pb.GetCapsulePolicyRequest, context: Ctx
    ) -> pb.CapsulePolicy:
        """Every part as its own RPC answers it, the parts at once."""
        ref = request.ref
        page = paging_pb2.PageRequest(limit=request.policies or SUMMARY_POLICIES)
        parts = await gather_parts(
            {
                "classification": self.GetClassification(
                    pb.GetClassificationRequest(ref=ref), context
                ),
                "owners": self.ListOwners(pb.ListOwnersRequest(ref=ref), context),
                "policies": self.ListPolicies(pb.ListPoliciesRequest(ref=ref, page=page), context),
                "masking_rules": self.ListMaskingRules(
                    mpb.ListMaskingRulesRequest(ref=ref), context
                ),
            }
        )
        return pb.CapsulePolicy(**parts)

    async def ListOwnedObjects(
        self, request: pb.ListOwnedObjectsRequest, context: Ctx
    ) -> pb.ListOwnedObjectsResponse:
        owned, cursor = await self.owners.owned_by(
            user=request.user,
            role=request.role,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListOwnedObjectsResponse(
            items=[om.ownership(o) for o in owned], page=_page(cursor)
        )

    async def GetObjectRights(
        self, request: pb.GetObjectRightsRequest, context: Ctx
    ) -> pb.ObjectRights:
        rights = await self.owners.rights(username=request.username, ref=ref_text(request.ref))
        return om.rights(rights)

    # ------------------------------------------------------------ domains
    async def CreateDomain(self, request: pb.CreateDomainRequest, context: Ctx) -> pb.Domain:
        created = await self.owners.create_domain(
            name=request.name, description=request.description, parent=request.parent
        )
        return om.domain(created)

    async def ListDomains(
        self, request: pb.ListDomainsRequest, context: Ctx
    ) -> pb.ListDomainsResponse:
        domains = await self.owners.list_domains()
        return pb.ListDomainsResponse(items=[om.domain(d) for d in domains])

    async def GetDomain(self, request: pb.GetDomainRequest, context: Ctx) -> pb.Domain:
        return om.domain(await self.owners.get_domain(request.domain))

    async def UpdateDomain(self, request: pb.UpdateDomainRequest, context: Ctx) -> pb.Domain:
        updated = await self.owners.update_domain(
            key=request.domain,
            fields=mask_paths(request.update_mask, DOMAIN_FIELDS),
            name=request.name,
            description=request.description,
            parent=request.parent,
        )
        return om.domain(updated)

    async def DeleteDomain(
        self, request: pb.DeleteDomainRequest, context: Ctx
    ) -> pb.DeleteDomainResponse:
        await self.owners.delete_domain(request.domain)
        return pb.DeleteDomainResponse()

    async def AssignDomain(self, request: pb.AssignDomainRequest, context: Ctx) -> pb.DomainObject:
        placed = await self.owners.assign_domain(ref=ref_text(request.ref), key=request.domain)
        return om.domain_object(placed)

    async def ListDomainObjects(
        self, request: pb.ListDomainObjectsRequest, context: Ctx
    ) -> pb.ListDomainObjectsResponse:
        placed, cursor = await self.owners.domain_objects(
            key=request.domain, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListDomainObjectsResponse(
            items=[om.domain_object(p) for p in placed], page=_page(cursor)
        )

    # ------------------------------------------------------------ data policies
    async def CreatePolicy(self, request: pb.CreatePolicyRequest, context: Ctx) -> pb.Policy:
        created = await self.policies.create(
            ref=ref_text(request.ref), column=request.column, spec=pm.spec_from(request.spec)
        )
        return pm.policy(created)

    async def GetPolicy(self, request: pb.GetPolicyRequest, context: Ctx) -> pb.Policy:
        return pm.policy(await self.policies.get(request.id))

    async def ListPolicies(
        self, request: pb.ListPoliciesRequest, context: Ctx
    ) -> pb.ListPoliciesResponse:
        found, cursor = await self.policies.page(
            ref=ref_text(request.ref),
            overdue_only=request.overdue_only,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListPoliciesResponse(items=[pm.policy(p) for p in found], page=_page(cursor))

    async def UpdatePolicy(self, request: pb.UpdatePolicyRequest, context: Ctx) -> pb.Policy:
        updated = await self.policies.update(
            request.id,
            mask_paths(request.update_mask, POLICY_FIELDS),
            pm.spec_from(request.spec),
        )
        return pm.policy(updated)

    async def DeletePolicy(
        self, request: pb.DeletePolicyRequest, context: Ctx
    ) -> pb.DeletePolicyResponse:
        await self.policies.delete(request.id)
        return pb.DeletePolicyResponse()

    # ------------------------------------------------------------ masking rules
    async def CreateMaskingRule(
        self, request: mpb.CreateMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        created = await self.masking.create(
            ref=ref_text(request.ref), column=request.column, spec=mm.spec_from(request)
        )
        return mm.rule(created)

    async def ListMaskingRules(
        self, request: mpb.ListMaskingRulesRequest, context: Ctx
    ) -> mpb.ListMaskingRulesResponse:
        rules = await self.masking.rules(ref=ref_text(request.ref), column=request.column)
        return mpb.ListMaskingRulesResponse(items=[mm.rule(r) for r in rules])

    async def GetMaskingRule(
        self, request: mpb.GetMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        return mm.rule(await self.masking.get(request.id))

    async def UpdateMaskingRule(
        self, request: mpb.UpdateMaskingRuleRequest, context: Ctx
    ) -> mpb.MaskingRule:
        updated = await self.masking.update(
            request.id,
            mask_paths(request.update_mask, MASKING_RULE_FIELDS),
            mm.spec_from(request.rule),
        )
        return mm.rule(updated)

    async def DeleteMaskingRule(
        self, request: mpb.DeleteMaskingRuleRequest, context: Ctx
    ) -> mpb.DeleteMaskingRuleResponse:
        await self.masking.delete(request.id)
        return mpb.DeleteMaskingRuleResponse()

    async def PreviewMaskingSql(
        self, request: mpb.PreviewMaskingSqlRequest, context: Ctx
    ) -> mpb.MaskingSqlPreview:
        preview = await self.masking.preview_sql(ref=ref_text(request.ref), dialect=request.dialect)
        return mm.preview(preview)

    async def MaskValues(
        self, request: mpb.MaskValuesRequest, context: Ctx
    ) -> mpb.MaskValuesResponse:
        columns, names = await self.masking.mask_values(
            ref=ref_text(request.ref), role=request.role, columns=mm.columns_from(request)
        )
        return mm.masked(columns, names)

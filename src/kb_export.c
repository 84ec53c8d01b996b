/* kb_export.c — the network the engine runs on, as data: `knotfinder kb
 * export --json`, so that anyone can check the engine's numbers with their
 * own code.  The format is described in docs/KB-FORMAT.md ("The network as
 * data"). */
#include "kb_export.h"
#include "findings.h"

static const char *const finding_kinds[] = {
    "location", "symptom", "habit", "history", "body", "followup", "redflag"
};

json_t *kf_kb_export_json(const kf_kb *kb)
{
    json_t *root = json_object(), *causes = json_array(), *findings = json_array();
    json_t *links = json_array(), *chains = json_array();
    if (!root || !causes || !findings || !links || !chains)
        goto fail;
    json_object_set_new(root, "format", json_string("knotfinder-network/1"));
    json_object_set_new(root, "kb_version", json_string(kb->version));
    json_object_set_new(root, "model", json_string(
        "Every cause is a binary root with its prior. A finding is a noisy-OR child: absent only "
        "if the leak and every active parent fail, each independently with the link's p. A "
        "chain (habit -> muscle, p) is on with probability p when its habit is present and "
        "then acts on the findings through the muscle's links, as a parent of its own. A "
        "muscle is tight when its own root or one of its chains is on. Posteriors: a habit "
        "or other root is present; a muscle is tight. A finding said only as a guess (note "
        "\"guess\") is soft evidence: P(guess | finding absent) = scale.guess relative to "
        "present, for at most 3 guesses, unless it is a red flag or a mimic links it at least "
        "as strongly as any other cause (then it counts in full). A symptom, warning sign or "
        "past illness denied in the person's own words (state \"absent\", origin \"text\", "
        "finding kind symptom, redflag or history) is a denial in passing: it is absent only "
        "through the links from the mimics; the other causes' links to it are left out."));
    json_object_set_new(root, "leak", json_real(kb->leak));
    json_t *scale = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "always", kb->strengths[0],
                              "often", kb->strengths[1], "sometimes", kb->strengths[2],
                              "rarely", kb->strengths[3], "leak", kb->leak,
                              "keeps_tight", kb->keeps, "own_share", kb->own_share,
                              "guess", KF_GUESS_LAMBDA);
    if (!scale)
        goto fail;
    json_object_set_new(root, "scale", scale);
    for (int i = 0; i < kb->n_causes; i++) {
        const kf_cause *c = &kb->causes[i];
        /* prior: the root's, as the model uses it; prior_said: the KB's
         * word, a muscle's marginal when [scale] own_share is set. */
        json_t *o = json_pack("{s:s,s:s,s:s,s:f,s:f,s:s?}", "id", c->id,
                              "kind", kf_cause_kind_name(c->kind), "name", c->name,
                              "prior", c->prior, "prior_said", c->prior_said,
                              "source", c->source);
        if (!o || json_array_append_new(causes, o))
            goto fail;
        if (c->kind == KF_CAUSE_MIMIC)
            json_object_set_new(o, "level", json_string(kf_triage_id(c->level)));
        if (c->family)
            json_object_set_new(o, "family", json_string(c->family));
        if (c->n_release_first) {
            json_t *r = json_array();
            for (int j = 0; r && j < c->n_release_first; j++)
                json_array_append_new(r, json_string(kb->causes[c->release_first[j]].id));
            if (!r)
                goto fail;
            json_object_set_new(o, "release_first", r);
        }
        for (int j = 0; j < c->n_keeps; j++) {
            json_t *e = json_pack("{s:s,s:s,s:f,s:s?}", "habit", c->id,
                                  "muscle", kb->causes[c->keeps[j]].id, "p", c->keeps_p[j],
                                  "why", c->keeps_why ? c->keeps_why[j] : NULL);
            if (!e || json_array_append_new(chains, e))
                goto fail;
        }
    }
    for (int i = 0; i < kb->n_findings; i++) {
        const kf_finding_def *f = &kb->findings[i];
        json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s?,s:f}", "id", f->id,
                              "kind", finding_kinds[f->kind], "label", f->label,
                              "sided", f->sided, "question", f->question, "leak", kb->leak);
        if (!o || json_array_append_new(findings, o))
            goto fail;
    }
    for (int i = 0; i < kb->n_links; i++) {
        const kf_link *l = &kb->links[i];
        json_t *o = json_pack("{s:s,s:s,s:f,s:s,s:s,s:s?}", "cause", kb->causes[l->cause].id,
                              "finding", kb->findings[l->finding].id, "p", l->p,
                              "mechanism", kf_mech_name(l->mech), "why", l->why,
                              "source", l->source);
        if (!o || json_array_append_new(links, o))
            goto fail;
    }
    json_object_set_new(root, "causes", causes);
    json_object_set_new(root, "findings", findings);
    json_object_set_new(root, "links", links);
    json_object_set_new(root, "chains", chains);
    return root;
fail:
    json_decref(root);
    json_decref(causes);
    json_decref(findings);
    json_decref(links);
    json_decref(chains);
    return NULL;
}

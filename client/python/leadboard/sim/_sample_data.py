"""Plausible prospecting data for the simulator (companies, pains, competitors...).

Everything here is invented; names follow docs/domain.md (plausible sample data).
"""

from __future__ import annotations

import random
from typing import Any

COMPANIES: list[dict[str, str]] = [
    {"company_name": "TechStart Solutions", "website": "https://techstart.com", "sector": "Technology",
     "company_size": "50-100 employees", "location": "São Paulo, SP",
     "description": "Startup de software que desenvolve plataformas de gestão para PMEs."},
    {"company_name": "TechSolutions Brasil Ltda", "website": "https://techsolutionsbrasil.com.br",
     "sector": "Consultoria em TI", "company_size": "100-250 funcionários", "location": "Campinas, SP",
     "description": "Transformação digital para pequenas e médias empresas."},
    {"company_name": "Almeida & Rocha Advogados", "website": "https://almeidarocha.adv.br",
     "sector": "Serviços Jurídicos", "company_size": "20-50 funcionários", "location": "Curitiba, PR",
     "description": "Escritório de advocacia empresarial e tributária em Curitiba."},
    {"company_name": "Bettega Lins Sociedade de Advogados", "website": "https://bettegalins.adv.br",
     "sector": "Serviços Jurídicos", "company_size": "10-20 funcionários", "location": "Curitiba, PR",
     "description": "Advocacia trabalhista e contratos para o agronegócio paranaense."},
    {"company_name": "Moura Kraus Advocacia", "website": "https://mourakraus.com.br",
     "sector": "Legal Services", "company_size": "50-100 employees", "location": "Curitiba, PR",
     "description": "Full-service law firm focused on corporate and M&A work in southern Brazil."},
    {"company_name": "TechFlow Solutions", "website": "https://techflow.io", "sector": "SaaS",
     "company_size": "20-50 employees", "location": "Florianópolis, SC",
     "description": "Workflow automation SaaS for finance teams."},
    {"company_name": "DataSync Pro", "website": "https://datasyncpro.com", "sector": "SaaS",
     "company_size": "50-100 employees", "location": "Belo Horizonte, MG",
     "description": "Plataforma de integração de dados entre ERPs e CRMs."},
    {"company_name": "NextGen Analytics", "website": "https://nextgenanalytics.ai", "sector": "Data & AI",
     "company_size": "10-50 employees", "location": "Recife, PE",
     "description": "Analytics e modelos preditivos para o varejo."},
    {"company_name": "Vinhedo Logística Integrada", "website": "https://vinhedolog.com.br",
     "sector": "Logística", "company_size": "250-500 funcionários", "location": "Vinhedo, SP",
     "description": "Operador logístico com armazéns no interior paulista."},
    {"company_name": "Clínica Sorriso Pleno", "website": "https://sorrisopleno.com.br",
     "sector": "Saúde", "company_size": "10-20 funcionários", "location": "Porto Alegre, RS",
     "description": "Rede de clínicas odontológicas com três unidades."},
    {"company_name": "AgroVale Insumos", "website": "https://agrovale.agr.br", "sector": "Agronegócio",
     "company_size": "100-250 funcionários", "location": "Londrina, PR",
     "description": "Distribuidora de insumos agrícolas para cooperativas."},
    {"company_name": "CloudNine ERP", "website": "https://cloudnine-erp.com", "sector": "SaaS",
     "company_size": "100-250 employees", "location": "Rio de Janeiro, RJ",
     "description": "Cloud ERP for mid-market manufacturers."},
]

QUERIES = [
    "Empresas de software B2B em São Paulo que precisam automatizar vendas",
    "Escritórios de advocacia em Curitiba",
    "SaaS companies in Brazil with 20-250 employees",
    "PMEs de tecnologia buscando transformação digital",
]

PRODUCT_CONTEXT = "B2B sales automation platform with AI"

PAIN_POINTS = [
    ("Processos manuais excessivos", "Equipe comercial gasta 40% do tempo em tarefas repetitivas",
     "Automação de cadências e registro automático de atividades"),
    ("Sistemas desconectados", "Dados de clientes espalhados entre planilhas, ERP e e-mail",
     "Integração nativa com ERP e caixa de entrada"),
    ("Baixa previsibilidade de receita", "Forecast feito à mão, com erro acima de 30%",
     "Previsão de vendas com IA sobre o funil real"),
    ("Dificuldade de escalar o time de vendas", "Onboarding de SDRs leva três meses",
     "Playbooks guiados e sugestões de próxima ação"),
    ("Leads sem qualificação", "Vendedores perdem tempo com contas sem fit",
     "Pontuação automática de leads"),
]

COMPETITORS = [
    ("HubSpot", "CRM e automação de marketing all-in-one", "Ecossistema amplo e marca forte",
     "Custo alto nos planos Enterprise"),
    ("Salesforce", "CRM líder de mercado", "Customização e AppExchange", "Implantação longa e cara"),
    ("RD Station", "Automação de marketing brasileira", "Suporte em português e preço em reais",
     "CRM menos robusto para vendas complexas"),
    ("Pipedrive", "CRM focado em pipeline", "Simplicidade e adoção rápida", "Pouca inteligência preditiva"),
    ("ConsultTech", "Consultoria regional de TI", "Relacionamento local", "Sem produto próprio"),
    ("DigitalPro", "Agência de transformação digital", "Projetos sob medida", "Escalabilidade limitada"),
]

TRIGGERS = [
    ("Abertura de 5 vagas para SDR no LinkedIn", "Expansão do time comercial aumenta a dor de produtividade"),
    ("Rodada de investimento Série A anunciada", "Pressão por crescimento previsível de receita"),
    ("Novo diretor comercial contratado", "Novos líderes revisam ferramentas nos primeiros 90 dias"),
    ("Lançamento de nova linha de produtos", "Mais complexidade no funil de vendas"),
    ("Migração de ERP em andamento", "Janela para integrar CRM e automação"),
]

TIERS = ["Alto Potencial", "Potencial Médio", "Baixo Potencial", "Não Qualificado",
         "High Potential", "Medium Potential"]
URGENCY = ["low", "medium", "high", "critical", "alta", "média"]
CHANNELS = ["email", "linkedin", "whatsapp", "phone"]
ERRORS = [
    ("TimeoutError", "Request to LLM provider timed out after 60s"),
    ("RateLimitError", "Rate limit exceeded for tavily_search (429)"),
    ("ValidationError", "1 validation error for LeadQualificationOutput: qualification_score field required"),
    ("JSONDecodeError", "Expecting ',' delimiter: line 14 column 5 (char 312)"),
    ("ConnectionError", "Connection reset by peer while scraping site"),
]


# The sales team that works the enriched cards (leadboard-simulate --salespeople N).
SALESPEOPLE = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Heitor", "Isabela", "João"]

# What a salesperson writes when moving a card into each people's column.
SALES_NOTES: dict[str, list[str]] = {
    "reviewing": [
        "Perfil bom, no nosso ICP; vou revisar o pacote",
        "Pego este: conheço o setor",
        "Revisando contatos e dores antes de abordar",
    ],
    "first_messages": [
        "Primeiro e-mail enviado ao diretor comercial",
        "Mensagem no LinkedIn para o sócio, com o pitch adaptado",
        "WhatsApp enviado; mencionei o gatilho de expansão",
    ],
    "negotiating": [
        "Pediram proposta; negociando valores",
        "Querem um piloto de 30 dias antes de fechar",
        "Comparando com o RD Station; enviei o estudo de caso",
    ],
    "meeting_scheduled": [
        "Reunião marcada para quinta às 10h",
        "Demo agendada com o time de vendas deles",
        "Call com o CEO na próxima semana",
    ],
    "disqualified": [
        "Sem orçamento este ano",
        "Já usam HubSpot e estão satisfeitos",
        "Não responderam após 3 tentativas",
        "Empresa pequena demais para o plano",
    ],
}


def slug(name: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in name).strip("-").replace("--", "-")


def enrichment_package(rng: random.Random, lead_id: str, company: dict[str, str],
                       failed_sections: set[str], processed_at: str) -> dict[str, Any]:
    """A ComprehensiveProspectPackage dict like the pipelines produce."""
    name = company["company_name"]
    domain = company["website"].split("//")[-1]
    pains = rng.sample(PAIN_POINTS, k=rng.randint(2, 3))
    comps = rng.sample(COMPETITORS, k=rng.randint(2, 4))
    trigs = rng.sample(TRIGGERS, k=rng.randint(1, 3))
    tier = rng.choice(TIERS)
    score = round(rng.uniform(0.35, 0.95), 2)

    def section(key: str, value: Any) -> Any:
        if key in failed_sections:
            return {"error_message": f"{key}: agent failed, section unavailable"}
        return value

    strategies = [
        {"strategy_name": s, "angle_or_hook": h, "tone_of_voice": t, "primary_channels": ch,
         "key_points_or_arguments": [f"{pains[0][0]} custa caro", "ROI em 90 dias"]}
        for s, h, t, ch in [
            ("Consultiva orientada a ROI", "Quanto custa o processo manual hoje?", "consultivo", ["email", "linkedin"]),
            ("Prova social regional", f"Empresas de {company['location']} já automatizaram", "próximo", ["linkedin", "whatsapp"]),
        ]
    ]
    return {
        "analyzed_lead": {
            "validated_lead": {"lead_id": lead_id, "company_name": name, "site_data": {"url": company["website"]}},
            "analysis": {
                "company_sector": company["sector"],
                "main_services": [company["description"].split(",")[0], "Consultoria", "Suporte"],
                "recent_activities": [trigs[0][0]],
                "potential_challenges": [p[0] for p in pains],
                "company_size_estimate": company["company_size"],
                "relevance_score": score,
                "general_diagnosis": f"{name} tem fit com {PRODUCT_CONTEXT}.",
                "opportunity_fit": "Alto fit para automação do processo comercial.",
            },
        },
        "enhanced_strategy": {
            "external_intelligence": section("external_intelligence", {
                "tavily_enrichment": f"{name} aparece em notícias recentes sobre expansão.",
                "market_research": f"Setor de {company['sector']} cresce 12% ao ano no Brasil.",
                "news_analysis": trigs[0][0],
                "social_signals": ["Posts frequentes sobre contratação no LinkedIn"],
                "sources_used": [company["website"], f"https://www.linkedin.com/company/{slug(name)}"],
            }),
            "contact_information": section("contact_information", {
                "emails_found": [f"contato@{domain}", f"comercial@{domain}"],
                "instagram_profiles_found": [f"@{slug(name).replace('-', '')}"],
                "linkedin_profiles": [f"https://www.linkedin.com/company/{slug(name)}"],
                "phone_numbers": [f"+55 41 3{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"],
                "tavily_search_suggestions": [f"{name} diretor comercial"],
            }),
            "pain_point_analysis": section("pain_point_analysis", {
                "primary_pain_category": pains[0][0],
                "detailed_pain_points": [
                    {"pain_description": p, "business_impact": i, "solution_alignment": s} for p, i, s in pains
                ],
                "urgency_level": rng.choice(URGENCY),
                "investigative_questions": ["Quanto tempo o time gasta com tarefas manuais?",
                                            "Como vocês medem a previsibilidade do funil?"],
            }),
            "lead_qualification": section("lead_qualification", {
                "qualification_tier": tier,
                "qualification_score": score,
                "justification": [f"Setor {company['sector']} aderente", f"Porte {company['company_size']}"],
                "fit_score": round(rng.uniform(0.4, 1.0), 2),
                "readiness_score": round(rng.uniform(0.2, 0.9), 2),
                "authority_score": round(rng.uniform(0.2, 0.9), 2),
                "budget_likelihood": rng.choice(["alta", "média", "baixa"]),
            }),
            "competitor_intelligence": section("competitor_intelligence", {
                "identified_competitors": [
                    {"name": n, "description": d, "perceived_strength": s, "perceived_weakness": w}
                    for n, d, s, w in comps
                ],
                "other_notes": "Usa planilhas compartilhadas para o pipeline.",
            }),
            "purchase_triggers": section("purchase_triggers", {
                "identified_triggers": [{"trigger_description": t, "relevance_explanation": r} for t, r in trigs],
                "other_observations": "Orçamento anual revisado em novembro.",
            }),
            "value_propositions": [
                {"title": f"Fim dos {pains[0][0].lower()}", "connection_to_pain_or_trigger": pains[0][0],
                 "key_benefit": "Economia de 10h por vendedor por semana",
                 "differentiation_factor": "IA treinada em vendas B2B brasileiras",
                 "call_to_value": "Diagnóstico gratuito do funil em 30 minutos"},
            ],
            "strategic_questions": ["Qual a meta de receita para o próximo trimestre?",
                                    f"Como {name} qualifica leads hoje?"],
            "objection_framework": section("objection_framework", {
                "anticipated_objections": [
                    {"objection": "Já usamos " + comps[0][0], "response_strategy": "Complementar, não substituir",
                     "suggested_response": f"Integramos com {comps[0][0]} em um dia."},
                    {"objection": "Sem orçamento agora", "response_strategy": "Mostrar ROI",
                     "suggested_response": "O piloto se paga em 60 dias."},
                ],
            }),
            "detailed_approach_plan": section("detailed_approach_plan", {
                "main_objective": "Agendar diagnóstico com o diretor comercial",
                "adapted_elevator_pitch": f"Ajudamos empresas como a {name} a vender mais com menos trabalho manual.",
                "contact_sequence": [
                    {"step_number": i + 1, "channel": ch, "objective": obj,
                     "key_topics_arguments": [pains[0][0]], "key_questions": ["Faz sentido conversarmos?"],
                     "cta": "Agendar 30 minutos"}
                    for i, (ch, obj) in enumerate([("email", "Abrir conversa"), ("linkedin", "Reforçar"),
                                                   ("phone", "Agendar reunião")])
                ],
                "engagement_indicators_to_monitor": ["Abertura de e-mail", "Visita ao site"],
                "potential_obstacles_attention_points": ["Gatekeeper na recepção"],
                "suggested_next_steps_if_successful": ["Demo personalizada", "Piloto de 30 dias"],
            }),
            "tot_generated_strategies": strategies,
            "tot_evaluated_strategies": [
                {"strategy_name": s["strategy_name"], "strengths": ["Relevante"], "weaknesses_or_risks": ["Ciclo longo"],
                 "suitability_score": round(rng.uniform(5, 9.5), 1), "recommended_improvements": ["Citar case local"]}
                for s in strategies
            ],
            "tot_synthesized_action_plan": {
                "recommended_strategy_name": strategies[0]["strategy_name"],
                "rationale": "Maior aderência à dor principal.",
                "action_sequence": ["E-mail de abertura", "Conexão no LinkedIn", "Ligação"],
                "key_metrics_to_track": ["Taxa de resposta", "Reuniões agendadas"],
            },
        },
        "enhanced_personalized_message": section("enhanced_personalized_message", {
            "primary_message": {
                "channel": rng.choice(CHANNELS),
                "subject_line": f"{name}: menos planilha, mais vendas",
                "message_body": f"Olá! Vi que a {name} está crescendo. {pains[0][2]} pode liberar seu time.",
                "call_to_action": "Podemos falar 20 minutos na quinta?",
                "personalization_elements": [company["sector"], trigs[0][0]],
            },
            "alternative_messages": [{"channel": "linkedin", "message_body": "Oi! Posso compartilhar um case?",
                                      "call_to_action": "Aceita conectar?"}],
            "personalization_score": round(rng.uniform(0.6, 0.95), 2),
            "estimated_response_rate": round(rng.uniform(0.05, 0.3), 2),
        }),
        "internal_briefing": section("internal_briefing", {
            "executive_summary": f"{name} ({company['sector']}, {company['location']}) — {tier}.",
            "lead_overview": {"title": "Visão geral", "content": company["description"]},
            "pain_points_and_needs": {"title": "Dores e necessidades", "content": "; ".join(p[0] for p in pains)},
            "buying_triggers": {"title": "Gatilhos", "content": trigs[0][0]},
            "potential_objections": {"title": "Objeções", "content": "Já usa " + comps[0][0]},
            "recommended_next_step": "Enviar e-mail de abertura hoje",
        }),
        "confidence_score": round(rng.uniform(0.6, 0.95), 2),
        "roi_potential_score": round(rng.uniform(0.4, 0.9), 2),
        "brazilian_market_fit": round(rng.uniform(0.5, 1.0), 2),
        "processing_metadata": {"total_agents_executed": 15, "model": "gemini-1.5-flash", "version": "2.1"},
        "processing_timestamp": processed_at,
    }

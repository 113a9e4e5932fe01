//! Plans bought with Telegram Stars: the invoice a Buy button sends (currency XTR), the answer
//! to Telegram's pre-checkout query (the invoice must still match the plan's current terms),
//! and the successful payment, which grants or extends the plan exactly once per Telegram
//! charge id (recorded with the grant in one transaction, see `Store::record_payment`).

use super::{answer, send_text, view, Action, Control, Ctx, Screen, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::Plan;
use crate::store::{NewPayment, PaymentRecorded};

/// Telegram Stars' currency code.
pub const STARS: &str = "XTR";

/// An invoice for Telegram: Stars need no payment provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub title: String,
    pub description: String,
    /// What was sold, as [`InvoicePayload::encode`] writes it: Telegram hands it back with
    /// the pre-checkout query and the payment.
    pub payload: String,
    pub label: String,
    pub stars: u32,
}

/// What an invoice sells: `plan:STARTER:30:250` (plan, days, price in Stars).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoicePayload {
    pub plan: Plan,
    pub days: u32,
    pub stars: u32,
}

impl InvoicePayload {
    pub fn encode(&self) -> String {
        format!("plan:{}:{}:{}", self.plan.as_str(), self.days, self.stars)
    }

    /// `None` for anything [`InvoicePayload::encode`] never wrote.
    pub fn parse(s: &str) -> Option<InvoicePayload> {
        let mut parts = s.split(':');
        let (Some("plan"), Some(plan), Some(days), Some(stars), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
                .filter(|n| *n > 0)
        };
        Some(InvoicePayload {
            plan: match plan {
                "STARTER" => Plan::Starter,
                "ENTERPRISE" => Plan::Enterprise,
                _ => return None,
            },
            days: number(days)?,
            stars: number(stars)?,
        })
    }
}

/// Why a checkout is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckoutRefusal {
    /// Not our invoice, another currency, or an amount that is not the invoice's.
    Invalid,
    /// The plan's price or length changed since the invoice was made.
    Stale,
    /// The customer already has this plan with no expiry: days would add nothing.
    NothingToRenew,
}

impl Control {
    /// The invoice for `plan` at its current terms.
    pub(super) fn invoice(&self, lang: Lang, plan: Plan) -> Invoice {
        let terms = *self.engine.catalog().terms(plan);
        let args = Args::new()
            .text("plan", plan.as_str())
            .num("days", terms.days as f64)
            .num("accounts", terms.max_accounts as f64)
            .num("groups", terms.max_groups as f64);
        Invoice {
            title: t_args(lang, "invoice-title", &args),
            description: t_args(lang, "invoice-description", &args),
            payload: InvoicePayload {
                plan,
                days: terms.days,
                stars: terms.price_stars,
            }
            .encode(),
            label: t_args(lang, "invoice-label", &args),
            stars: terms.price_stars,
        }
    }

    /// A Buy button: the invoice, as its own message.
    pub(super) async fn buy(&self, ctx: &Ctx, plan: Plan) -> Step {
        Ok(vec![
            answer(None),
            Action::Invoice(self.invoice(ctx.lang, plan)),
        ])
    }

    /// Whether Telegram may take the payment: only for an invoice of ours, in Stars, for
    /// exactly the invoice's amount, while the plan's terms are still the invoice's.
    pub fn checkout(
        &self,
        payload: &str,
        currency: &str,
        total_amount: u32,
        current: Option<crate::store::PlanGrant>,
    ) -> Result<InvoicePayload, CheckoutRefusal> {
        let sold = InvoicePayload::parse(payload).ok_or(CheckoutRefusal::Invalid)?;
        if current.is_some_and(|g| g.plan == sold.plan && g.expires_at.is_none()) {
            return Err(CheckoutRefusal::NothingToRenew);
        }
        if currency != STARS || total_amount != sold.stars {
            return Err(CheckoutRefusal::Invalid);
        }
        let terms = *self.engine.catalog().terms(sold.plan);
        if terms.price_stars != sold.stars || terms.days != sold.days {
            return Err(CheckoutRefusal::Stale);
        }
        Ok(sold)
    }

    /// Telegram's pre-checkout query: answered within its 10 s, with the reason when refused.
    /// An approval is recorded before it is given: the payment grants only against it.
    pub(super) async fn pre_checkout(
        &self,
        ctx: &Ctx,
        query_id: String,
        payload: &str,
        currency: &str,
        total_amount: u32,
    ) -> Step {
        let error = match self.checkout(payload, currency, total_amount, ctx.row.plan) {
            Ok(_) => {
                self.store
                    .approve_checkout(ctx.id, payload, i64::from(total_amount), self.now_ms())
                    .await?;
                None
            }
            Err(CheckoutRefusal::Invalid) => Some(t(ctx.lang, "checkout-invalid")),
            Err(CheckoutRefusal::Stale) => Some(t(ctx.lang, "checkout-stale")),
            Err(CheckoutRefusal::NothingToRenew) => Some(t(ctx.lang, "checkout-nothing-to-renew")),
        };
        Ok(vec![Action::AnswerPreCheckout { query_id, error }])
    }

    /// A successful payment: recorded once per charge id with the plan it bought, granted
    /// only against the approval given at pre-checkout. The terms are the invoice's (the
    /// customer paid for them, and they were current when approved), not today's.
    pub(super) async fn paid(&self, ctx: &Ctx, payment: Paid) -> Step {
        let lang = ctx.lang;
        let sold = InvoicePayload::parse(&payment.payload)
            .filter(|s| payment.currency == STARS && payment.total_amount == s.stars);
        let recorded = self
            .store
            .record_payment(&NewPayment {
                charge_id: payment.charge_id.clone(),
                provider_charge_id: (!payment.provider_charge_id.is_empty())
                    .then(|| payment.provider_charge_id.clone()),
                customer_id: ctx.id,
                stars: i64::from(payment.total_amount),
                grant: sold.map(|s| (s.plan, s.days)),
                payload: payment.payload.clone(),
                paid_at: self.now_ms(),
            })
            .await?;
        match recorded {
            PaymentRecorded::Duplicate => {
                tracing::info!(
                    customer_id = ctx.id,
                    "a payment was delivered again; ignored"
                );
                Ok(Vec::new())
            }
            PaymentRecorded::Granted(grant) => {
                let plan = view::plan_line(lang, Some(grant), self.now_ms());
                let notice = t_args(lang, "payment-granted", &Args::new().html("plan", plan));
                let mut row = ctx.row.clone();
                row.plan = Some(grant);
                let after = Ctx {
                    id: ctx.id,
                    lang,
                    row,
                };
                self.send_screen(&after, Screen::Plan, Some(notice)).await
            }
            PaymentRecorded::Unmatched => {
                tracing::error!(customer_id = ctx.id, "a payment matched no plan");
                Ok(self.payment_trouble(lang, ctx.id, &payment, "payment-unmatched"))
            }
            PaymentRecorded::Unapproved => {
                tracing::error!(
                    customer_id = ctx.id,
                    charge_id = %payment.charge_id,
                    "a payment came without a pre-checkout approval; nothing granted"
                );
                Ok(self.payment_trouble(lang, ctx.id, &payment, "payment-unapproved"))
            }
        }
    }
}

impl Control {
    /// A payment that needs an admin: the customer is told (`key`, in their language), and
    /// every admin gets the charge id and what was bought (`admin-` + `key`).
    pub(super) fn payment_trouble(
        &self,
        lang: Lang,
        customer_id: i64,
        paid: &Paid,
        key: &str,
    ) -> Vec<Action> {
        let mut actions = vec![send_text(t(lang, key))];
        let args = Args::new()
            .text("charge", &paid.charge_id)
            .num("stars", paid.total_amount as f64)
            .text("id", customer_id.to_string())
            .text("payload", &paid.payload);
        let admin_text = t_args(Lang::En, &format!("admin-{key}"), &args);
        for admin in &self.admins {
            actions.push(Action::Notify {
                user_id: *admin,
                text: admin_text.clone(),
            });
        }
        actions
    }
}

/// A successful payment as Telegram reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paid {
    pub charge_id: String,
    pub provider_charge_id: String,
    pub payload: String,
    pub currency: String,
    pub total_amount: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_nothing_else_parses() {
        let p = InvoicePayload {
            plan: Plan::Enterprise,
            days: 30,
            stars: 1_500,
        };
        assert_eq!(p.encode(), "plan:ENTERPRISE:30:1500");
        assert_eq!(InvoicePayload::parse(&p.encode()), Some(p));
        for bad in [
            "",
            "plan:GOLD:30:1",
            "plan:STARTER:0:250",
            "plan:STARTER:30:0",
            "plan:STARTER:30:-5",
            "plan:STARTER:30",
            "plan:STARTER:30:250:1",
            "plan:starter:30:250",
            "plan:STARTER:9999999999:250",
        ] {
            assert_eq!(InvoicePayload::parse(bad), None, "{bad}");
        }
    }
}

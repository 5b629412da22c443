//! `central-api`: run the reference central API, or make a token or a sign-in user for it.
//!
//! ```text
//! central-api serve --addr 127.0.0.1:8080 --db ./central.sqlite3 --seed 7 --deployments 20000
//! central-api token --db ./central.sqlite3 --user ana --role partner-admin --partner <uuid>
//! central-api token list --db ./central.sqlite3
//! central-api token revoke --db ./central.sqlite3 <id>
//! central-api user --db ./central.sqlite3 --login ana --role partner-admin --partner <uuid> < password.txt
//! ```
//!
//! Tokens and the demo user's password are printed to standard output, once; they never go to the
//! log. A user's password is read from standard input (its first line), never from the command
//! line, where other users of the machine could see it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use central_api::demo::DemoConfig;
use central_api::server::{self, ServerConfig, Store};
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use program::contract::{PartnerId, Role};
use tracing_subscriber::EnvFilter;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "central-api",
    version,
    about = "The reference central API of Partner Desk."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API. A new (or empty) database is filled with demo data first, and a token for
    /// an account manager over every partner is printed.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[arg(long, default_value = "central.sqlite3")]
        db: PathBuf,
        /// Seed of the demo data.
        #[arg(long, default_value_t = DemoConfig::DEFAULT_SEED)]
        seed: u64,
        /// Deployments in the demo data (partners and customers scale with it).
        #[arg(long, default_value_t = 20_000)]
        deployments: usize,
        /// The day the demo data is as of (YYYY-MM-DD); today by default.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Make a new API token and print it (then its id, on standard error); `token list` and
    /// `token revoke <id>` manage the tokens made.
    #[command(args_conflicts_with_subcommands = true)]
    Token {
        #[command(subcommand)]
        action: Option<TokenAction>,
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// A partner in the token's scope (repeat for an account manager's portfolio).
        #[arg(long = "partner")]
        partners: Vec<Uuid>,
        /// Days until the token stops working.
        #[arg(long, default_value_t = server::DEFAULT_TOKEN_DAYS)]
        days: u32,
    },
    /// Add a user who signs in through the browser (Partner Desk's "Sign in with your browser").
    /// The password is the first line of standard input.
    User {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        login: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A partner in the user's scope (repeat for an account manager's portfolio).
        #[arg(long = "partner")]
        partners: Vec<Uuid>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// List every token: id, user, role, partners in scope, made, expires. Never the token.
    List {
        #[arg(long)]
        db: PathBuf,
    },
    /// Revoke a token by its id (from `token list`): it stops working at once.
    Revoke {
        #[arg(long)]
        db: PathBuf,
        id: String,
    },
}

/// What the server allows a client; each unset one keeps its default (`server::Limits`).
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// Requests handled at once; more wait for a turn, then get 503 [default: 64].
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Requests per second a signed-in token may send (sustained) [default: 50].
    #[arg(long)]
    token_rate: Option<u32>,
    /// Requests a signed-in token may send at once [default: 500].
    #[arg(long)]
    token_burst: Option<u32>,
    /// Requests per second one address may send without a valid token [default: 10].
    #[arg(long)]
    address_rate: Option<u32>,
    /// Requests one address may send at once without a valid token [default: 100].
    #[arg(long)]
    address_burst: Option<u32>,
    /// Deal registrations and edits one user may send per hour (sustained) [default: 120].
    #[arg(long)]
    registrations_per_hour: Option<u32>,
    /// Deal registrations and edits one user may send at once [default: 60].
    #[arg(long)]
    registration_burst: Option<u32>,
    /// The largest request body, in bytes [default: 2 MiB].
    #[arg(long)]
    max_body_bytes: Option<usize>,
}

impl LimitArgs {
    fn limits(&self) -> Result<server::Limits, String> {
        let default = server::Limits::default();
        let rate = |per_second: Option<u32>, burst: Option<u32>, default: server::Rate| {
            let per_second = per_second.unwrap_or(default.per_second.get());
            let burst = burst.unwrap_or(default.burst.get());
            if per_second == 0 || burst == 0 {
                return Err("a rate and a burst allow at least one request".to_string());
            }
            Ok(server::Rate::new(per_second, burst))
        };
        let per_hour = self
            .registrations_per_hour
            .unwrap_or(default.registrations.per_hour.get());
        let burst = self
            .registration_burst
            .unwrap_or(default.registrations.burst.get());
        if per_hour == 0 || burst == 0 {
            return Err("registrations allow at least one an hour and one at once".into());
        }
        if self.max_in_flight == Some(0) {
            return Err("--max-in-flight must allow at least one request".into());
        }
        Ok(server::Limits {
            max_in_flight: self.max_in_flight.unwrap_or(default.max_in_flight),
            per_token: rate(self.token_rate, self.token_burst, default.per_token)?,
            per_address: rate(self.address_rate, self.address_burst, default.per_address)?,
            registrations: server::Hourly::new(per_hour, burst),
            max_body_bytes: self.max_body_bytes.unwrap_or(default.max_body_bytes),
            ..default
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    PlatformAccountManager,
    PartnerAdmin,
    PartnerSales,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::PlatformAccountManager => Role::PlatformAccountManager,
            RoleArg::PartnerAdmin => Role::PartnerAdmin,
            RoleArg::PartnerSales => Role::PartnerSales,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Serve {
            addr,
            db,
            seed,
            deployments,
            as_of,
            limits,
        } => match limits.limits() {
            Err(e) => Err(e),
            Ok(limits) => {
                let config = ServerConfig {
                    addr,
                    db,
                    seed,
                    deployments,
                    as_of: as_of.unwrap_or_else(|| Utc::now().date_naive()),
                    today: None,
                    key: None,
                    limits,
                };
                serve(config).await
            }
        },
        Command::Token {
            action: Some(TokenAction::List { db }),
            ..
        } => list_tokens(db).await,
        Command::Token {
            action: Some(TokenAction::Revoke { db, id }),
            ..
        } => revoke_token(db, &id).await,
        Command::Token {
            action: None,
            db,
            user,
            role,
            partners,
            days,
        } => match (db, user, role) {
            (Some(db), Some(user), Some(role)) => {
                token(db, &user, role.into(), partners, days).await
            }
            _ => Err("making a token needs --db, --user and --role".into()),
        },
        Command::User {
            db,
            login,
            role,
            partners,
        } => user(db, &login, role.into(), partners).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("central-api: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServerConfig) -> Result<(), String> {
    let running = server::start(config).await.map_err(|e| e.to_string())?;
    println!("Central API: {}", running.base_url());
    if running.created_dataset() {
        let partners = running
            .store()
            .partner_ids()
            .await
            .map_err(|e| e.to_string())?;
        let token = running
            .create_token(
                "demo-account-manager",
                Role::PlatformAccountManager,
                &partners,
            )
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "Account manager token ({} partners in scope): {token}",
            partners.len()
        );
        let password = Uuid::new_v4().simple().to_string();
        running
            .create_user(
                DEMO_LOGIN,
                &password,
                Role::PlatformAccountManager,
                &partners,
            )
            .await
            .map_err(|e| e.to_string())?;
        println!("Sign in through the browser as {DEMO_LOGIN}, password {password}");
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    tracing::info!("shutting down");
    running.shutdown().await.map_err(|e| e.to_string())
}

/// The login of the account manager a new demo database gets.
const DEMO_LOGIN: &str = "demo-manager";

async fn open_existing(db: &std::path::Path) -> Result<Store, String> {
    if !db.exists() {
        return Err(format!(
            "no database at {}; `central-api serve` creates one",
            db.display()
        ));
    }
    Store::open(db).await.map_err(|e| e.to_string())
}

async fn user(db: PathBuf, login: &str, role: Role, partners: Vec<Uuid>) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let store = open_existing(&db).await?;
    let partners: Vec<PartnerId> = partners.into_iter().map(PartnerId).collect();
    let result = store.create_user(login, password, role, &partners).await;
    store.close().await;
    result.map_err(|e| e.to_string())?;
    println!("{login} can sign in through the browser");
    Ok(())
}

async fn token(
    db: PathBuf,
    user: &str,
    role: Role,
    partners: Vec<Uuid>,
    days: u32,
) -> Result<(), String> {
    let store = open_existing(&db).await?;
    let partners: Vec<PartnerId> = partners.into_iter().map(PartnerId).collect();
    let result = store.create_token_for(user, role, &partners, days).await;
    store.close().await;
    let token = result.map_err(|e| e.to_string())?;
    println!("{token}");
    eprintln!(
        "token id {} (for `central-api token revoke`), expires in {days} days",
        server::token_id(&token)
    );
    Ok(())
}

async fn list_tokens(db: PathBuf) -> Result<(), String> {
    let store = open_existing(&db).await?;
    let tokens = store.tokens().await;
    store.close().await;
    let tokens = tokens.map_err(|e| e.to_string())?;
    println!("id            made        expires     role                      partners  user");
    for t in tokens {
        let expires = t.expires_at.map_or_else(
            || "never".to_string(),
            |at| at.format("%Y-%m-%d").to_string(),
        );
        let user = match &t.login {
            Some(login) => format!("{login} (signed in)"),
            None => t.user.clone(),
        };
        println!(
            "{:<13} {}  {:<10}  {:<25} {:>8}  {user}",
            t.id,
            t.created_at.format("%Y-%m-%d"),
            expires,
            t.role_name(),
            t.partners
        );
    }
    Ok(())
}

async fn revoke_token(db: PathBuf, id: &str) -> Result<(), String> {
    let store = open_existing(&db).await?;
    let revoked = store.revoke_token(id).await;
    store.close().await;
    if revoked.map_err(|e| e.to_string())? {
        println!("token {id} revoked");
        Ok(())
    } else {
        Err(format!("no token has the id {id}"))
    }
}

use async_graphql::{ID, Object, SimpleObject};
use entity::image;

use super::ids::{self, Kind};
use super::scalars::DateTime;
use crate::domain::credit::Credit;
use crate::domain::images;

#[derive(Clone)]
pub struct Image(pub image::Model);

impl From<image::Model> for Image {
    fn from(model: image::Model) -> Self {
        Image(model)
    }
}

#[derive(SimpleObject)]
pub struct ImageCredit {
    photographer: Option<String>,
    agency: Option<String>,
    distributor: Option<String>,
    license: Option<String>,
    /// Formatted for print under the image, e.g. 'Wakil Kohsar/AFP via Getty Images'.
    credit_line: String,
}

#[Object]
impl Image {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Image, self.0.id)
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn alt_text(&self) -> &str {
        &self.0.alt_text
    }

    async fn caption(&self) -> Option<&str> {
        self.0.caption.as_deref()
    }

    async fn width(&self) -> Option<i32> {
        self.0.width
    }

    async fn height(&self) -> Option<i32> {
        self.0.height
    }

    /// Who holds the copyright, when it is not the credited photographer or agency.
    async fn copyright_holder(&self) -> Option<&str> {
        self.0.copyright_holder.as_deref()
    }

    /// When the licence to publish the image runs out; readers no longer get it after.
    async fn license_expires_at(&self) -> Option<DateTime> {
        self.0.license_expires_at.map(Into::into)
    }

    /// The licence has run out: readers no longer get this image, and it should be replaced.
    async fn license_expired(&self) -> bool {
        images::license_expired(&self.0, crate::domain::now())
    }

    async fn credit(&self) -> Option<ImageCredit> {
        let m = &self.0;
        let credit =
            Credit::from_parts(m.photographer.clone(), m.agency.clone(), m.distributor.clone(), m.license.clone())?;
        let credit_line = credit.credit_line();
        Some(ImageCredit {
            photographer: credit.photographer,
            agency: credit.agency,
            distributor: credit.distributor,
            license: credit.license,
            credit_line,
        })
    }
}

super::connection::connection!(ImageConnection, ImageEdge, Image);

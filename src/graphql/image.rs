use async_graphql::{ID, Object, SimpleObject};
use entity::image;

use super::ids::{self, Kind};
use crate::domain::credit::Credit;

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

    async fn credit(&self) -> Option<ImageCredit> {
        let m = &self.0;
        let credit = Credit::from_parts(
            m.photographer.clone(),
            m.agency.clone(),
            m.distributor.clone(),
            m.license.clone(),
        )?;
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
